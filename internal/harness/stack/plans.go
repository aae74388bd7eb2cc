package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// Plan is a launchpad_plan as tofu's state has it.
type Plan struct {
	Name, Price   string
	LimitUSD      float64
	VolumeGB      int
	CPUKind       string
	CPUs, Memory  int
	HoursPerCycle int
}

// WriteDevOverrides writes a tofu CLI configuration that resolves the launchpad provider to
// binary (dev_overrides: no registry, no init).
func WriteDevOverrides(path, binary string) error {
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.opentofu.org/clawdrun/launchpad\" = %q\n  }\n  direct {}\n}\n", filepath.Dir(binary))
	return os.WriteFile(path, []byte(cfg), 0o600)
}

// Tofu runs OpenTofu in one workspace with the launchpad provider resolved to Binary.
type Tofu struct {
	Tofu, Binary string
	Dir          string            // the workspace; its tofurc goes next to it
	Env          map[string]string // the provider's settings (LAUNCHPAD_STORE, FLY_*, …)
	Log          io.Writer         // tofu's output, besides what Run returns
}

// New returns a terraform-exec handle on the workspace, its output going to the log and to
// out.
func (t Tofu) New(out io.Writer) (*tfexec.Terraform, error) {
	if err := os.MkdirAll(t.Dir, 0o700); err != nil {
		return nil, err
	}
	rc := t.Dir + ".tofurc"
	if err := WriteDevOverrides(rc, t.Binary); err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(t.Dir, t.Tofu)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for k, v := range t.Env {
		env[k] = v
	}
	env["TF_CLI_CONFIG_FILE"], env["CHECKPOINT_DISABLE"] = rc, "1"
	if err := tf.SetEnv(env); err != nil {
		return nil, err
	}
	w := out
	if t.Log != nil {
		w = io.MultiWriter(t.Log, out)
	}
	tf.SetStdout(w)
	tf.SetStderr(w)
	return tf, nil
}

// applyComplete is tofu's last line of a successful apply.
var applyComplete = regexp.MustCompile(`(Apply|Destroy) complete! Resources: .*`)

// LastSummary is the "Apply complete! Resources: …" line of tofu's output, or "".
func LastSummary(out []byte) string {
	all := applyComplete.FindAll(out, -1)
	if len(all) == 0 {
		return ""
	}
	return string(all[len(all)-1])
}

// ApplyPlans copies the fleet configuration's *.tf files into t.Dir, applies its two
// launchpad_plan resources (starter and pro) and reads the plans back from tofu's state, by
// Stripe price id. summary is tofu's "Apply complete!" line.
func ApplyPlans(ctx context.Context, t Tofu, fleet string) (plans map[string]Plan, summary string, err error) {
	if err := os.MkdirAll(t.Dir, 0o700); err != nil {
		return nil, "", err
	}
	tfs, err := filepath.Glob(filepath.Join(fleet, "*.tf"))
	if err != nil || len(tfs) == 0 {
		return nil, "", fmt.Errorf("no .tf files in %s (-fleet)", fleet)
	}
	for _, src := range tfs {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(filepath.Join(t.Dir, filepath.Base(src)), b, 0o600); err != nil {
			return nil, "", err
		}
	}
	var output bytes.Buffer
	tf, err := t.New(&output)
	if err != nil {
		return nil, "", err
	}
	if err := tf.Apply(ctx, tfexec.Target("launchpad_plan.starter"), tfexec.Target("launchpad_plan.pro")); err != nil {
		return nil, "", fmt.Errorf("tofu apply of the plans failed: %v", err)
	}
	summary = LastSummary(output.Bytes())
	state, err := tf.Show(ctx)
	if err != nil {
		return nil, summary, fmt.Errorf("tofu show: %w", err)
	}
	plans = map[string]Plan{}
	if state.Values == nil || state.Values.RootModule == nil {
		return plans, summary, nil
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Type != "launchpad_plan" {
			continue
		}
		b, _ := json.Marshal(r.AttributeValues)
		var a struct {
			Name   string  `json:"name"`
			Price  string  `json:"stripe_price_id"`
			Limit  float64 `json:"monthly_spend_limit_usd"`
			Hours  int     `json:"machine_hours_per_cycle"`
			Volume int     `json:"volume_size_gb"`
			Guest  struct {
				CPUKind string `json:"cpu_kind"`
				CPUs    int    `json:"cpus"`
				Memory  int    `json:"memory_mb"`
			} `json:"guest"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, summary, fmt.Errorf("launchpad_plan.%s in tofu's state: %w", r.Name, err)
		}
		p := Plan{Name: a.Name, Price: a.Price, LimitUSD: a.Limit, VolumeGB: a.Volume, CPUKind: a.Guest.CPUKind, CPUs: a.Guest.CPUs, Memory: a.Guest.Memory, HoursPerCycle: a.Hours}
		plans[p.Price] = p
	}
	return plans, summary, nil
}
