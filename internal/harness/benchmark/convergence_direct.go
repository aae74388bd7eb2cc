package benchmark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// directWorkspace is convergence's floor: a copy of the work directory the control plane's
// runner left for one tenant — its rendered main.tf.json and its Terraform state — in which
// the same plan change is made with `tofu plan -out` and `apply` of that plan, run directly,
// with the same provider binary (dev_overrides) and the same provider settings. It is what
// the change costs with no control plane around it.
type directWorkspace struct {
	dir string
	tf  *tfexec.Terraform
}

// planFileName is the saved plan, as the runner names it.
const planFileName = "tfplan"

// newDirectWorkspace copies main.tf.json and terraform.tfstate from the runner's work
// directory of userID (LAUNCHPAD_DATA_DIR/workspaces/<user id>) into dir and prepares tofu
// there with the provider's settings. From then on the tenant is this workspace's: the
// control plane must not apply it again (no more events are sent for its customer).
func newDirectWorkspace(env *Env, dataDir, userID, dir string, providerEnv map[string]string, log io.Writer) (*directWorkspace, error) {
	src := filepath.Join(dataDir, "workspaces", userID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for _, name := range []string{"main.tf.json", "terraform.tfstate"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, fmt.Errorf("the runner's work directory of user %s: %w", userID, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	tf, err := stack.Tofu{Tofu: env.Tofu, Binary: env.Provider, Dir: dir, Env: providerEnv, Log: log}.New(io.Discard)
	if err != nil {
		return nil, err
	}
	return &directWorkspace{dir: dir, tf: tf}, nil
}

// setPlan rewrites main.tf.json for plan, as the runner renders a plan change: the plan of
// launchpad_subkey.this and of launchpad_tenant.this.
func (w *directWorkspace) setPlan(plan string) error {
	return setWorkspaceAttr(w.dir, "plan", plan, "launchpad_subkey", "launchpad_tenant")
}

// setWorkspaceAttr rewrites dir's main.tf.json with attr set to value in resource.<type>.this
// of each of types, as the runner renders a change of that attribute.
func setWorkspaceAttr(dir, attr, value string, types ...string) error {
	path := filepath.Join(dir, "main.tf.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := withAttr(b, attr, value, types...)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o600)
}

// withPlan returns the workspace document doc with both resources on plan.
func withPlan(doc []byte, plan string) ([]byte, error) {
	return withAttr(doc, "plan", plan, "launchpad_subkey", "launchpad_tenant")
}

// withAttr returns the workspace document doc with attr set to value in resource.<type>.this
// of each of types; each must already have the attribute as a string.
func withAttr(doc []byte, attr, value string, types ...string) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	resources, _ := d["resource"].(map[string]any)
	for _, typ := range types {
		byName, _ := resources[typ].(map[string]any)
		this, _ := byName["this"].(map[string]any)
		if _, ok := this[attr].(string); !ok {
			return nil, fmt.Errorf("no resource.%s.this.%s: not a workspace the runner rendered", typ, attr)
		}
		this[attr] = value
	}
	return json.MarshalIndent(d, "", "  ")
}

// directChange is one timed change of the floor.
type directChange struct {
	start    time.Time
	planned  time.Time // `tofu plan -out` returned
	applied  time.Time // the simulators showed the change
	returned time.Time // `tofu apply` returned
	// cpu is the CPU time of tofu and its provider processes (zero where the platform
	// cannot say).
	cpu time.Duration
}

// change makes the tenant of userID move to plan p: main.tf.json is rewritten (not timed),
// then `tofu plan -out` and `apply` of the plan run while the simulators are read every poll
// for the change.
func (w *directWorkspace) change(ctx context.Context, sb *stack.Sandbox, userID string, p stack.Plan, poll time.Duration) (directChange, error) {
	if err := w.setPlan(p.Name); err != nil {
		return directChange{}, err
	}
	if err := os.Remove(filepath.Join(w.dir, planFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return directChange{}, err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var c directChange
	cpu0, cpuOK := childrenCPU()
	c.start = time.Now()
	watched := make(chan error, 1)
	go func() {
		var err error
		c.applied, err = awaitApplied(watchCtx, sb, userID, p, poll)
		watched <- err
	}()
	changes, err := w.tf.Plan(ctx, tfexec.Out(planFileName))
	c.planned = time.Now()
	if err == nil && !changes {
		err = fmt.Errorf("tofu plan in %s found nothing to change for plan %s", w.dir, p.Name)
	}
	if err == nil {
		err = w.tf.Apply(ctx, tfexec.DirOrPlan(planFileName))
		c.returned = time.Now()
	}
	if err != nil {
		stopWatch()
		<-watched //nolint:errcheck // the watch was cancelled just above: its error says only that
		return directChange{}, fmt.Errorf("the direct change to plan %s in %s: %w", p.Name, w.dir, err)
	}
	if cpu1, ok := childrenCPU(); ok && cpuOK {
		c.cpu = cpu1 - cpu0
	}
	if err := <-watched; err != nil {
		return directChange{}, err
	}
	return c, nil
}
