package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Files of a work directory besides main.tf.json and the state.
const (
	planFile      = "tfplan"
	cliConfigFile = ".launchpad.tfrc"
)

// systemEnvVars are passed from the control plane's environment to tofu so that it runs like
// any program on this machine (paths, proxies, CA certificates); nothing else is inherited.
var systemEnvVars = []string{
	"PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy",
}

// tofuRun drives tofu in one work directory through terraform-exec, its output going to
// the job log.
type tofuRun struct {
	tf  *tfexec.Terraform
	out io.Writer
}

// tofu returns a terraform-exec handle on dir. On cancellation terraform-exec sends tofu
// SIGINT (tofu stops its providers and writes its state) and kills it if it is still running
// CancelGrace later.
func (r *Runner) tofu(dir string, out io.Writer) (*tofuRun, error) {
	tf, err := tfexec.NewTerraform(dir, r.cfg.Tofu)
	if err != nil {
		return nil, err
	}
	if err := tf.SetEnv(r.env(dir)); err != nil {
		return nil, err
	}
	if err := tf.SetWaitDelay(r.cfg.CancelGrace); err != nil {
		return nil, err
	}
	tf.SetStdout(out)
	tf.SetStderr(out)
	return &tofuRun{tf: tf, out: out}, nil
}

// env is tofu's whole environment: the system variables, the provider's settings, and a CLI
// config of our own (these machines may export a TF_CLI_CONFIG_FILE that does not exist).
func (r *Runner) env(dir string) map[string]string {
	env := map[string]string{}
	for _, k := range systemEnvVars {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range r.cfg.ProviderEnv {
		env[k] = v
	}
	env["TF_CLI_CONFIG_FILE"] = filepath.Join(dir, cliConfigFile)
	env["CHECKPOINT_DISABLE"] = "1"
	return env
}

// planAndApply runs `plan -out` and, when the plan changes anything, applies that very plan.
// The summary is the plan's own "Plan: …" line, read as the plan streams into the job log:
// a `tofu show -json` of the plan would start another tofu and the provider only to count
// the same changes, on every apply of every tenant. No `init` is needed: the launchpad
// provider comes from dev_overrides and terraform_data is built in, so nothing is downloaded.
func (t *tofuRun) planAndApply(ctx context.Context, jl *jobLog, log *slog.Logger) (launchpad.PlanSummary, error) {
	var summary launchpad.PlanSummary
	jl.Printf("tofu plan -out=%s", planFile)
	var planOut bytes.Buffer
	t.tf.SetStdout(io.MultiWriter(t.out, &planOut))
	changes, err := t.tf.Plan(ctx, tfexec.Out(planFile))
	t.tf.SetStdout(t.out)
	if err != nil {
		return summary, tofuError(ctx, "plan", err)
	}
	if !changes {
		jl.Printf("no changes; nothing to apply")
		return summary, nil
	}
	summary, ok := SummarizePlanOutput(planOut.Bytes())
	if !ok {
		// The summary is a record, not a step of the apply: its loss is logged, not fatal.
		log.Warn("the plan's output has no \"Plan: …\" line to read its summary from")
		jl.Printf("the plan's summary could not be read (no \"Plan: …\" line)")
	}
	jl.Printf("tofu apply %s", planFile)
	if err := t.tf.Apply(ctx, tfexec.DirOrPlan(planFile)); err != nil {
		return summary, tofuError(ctx, "apply", err)
	}
	return summary, nil
}

// planLine is tofu's summary line of a plan with changes, in every form OpenTofu and
// Terraform print it: "Plan: 1 to add, 0 to change, 0 to destroy." with, for imports and
// forgets, "N to import, " before and ", N to forget" after.
var planLine = regexp.MustCompile(`(?m)^Plan: (?:\d+ to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy\b`)

// SummarizePlanOutput reads what a plan adds, changes and destroys from its "Plan: …" line
// (the last, should the output hold several), counting as tofu does: a replacement is one add
// and one destroy; reads, no-ops and forgets are not counted. ok is false when the output has
// no such line.
func SummarizePlanOutput(out []byte) (s launchpad.PlanSummary, ok bool) {
	all := planLine.FindAllSubmatch(out, -1)
	if len(all) == 0 {
		return s, false
	}
	m := all[len(all)-1]
	s.Add, _ = strconv.Atoi(string(m[1]))
	s.Change, _ = strconv.Atoi(string(m[2]))
	s.Destroy, _ = strconv.Atoi(string(m[3]))
	return s, true
}

// tofuError turns a failed tofu command into a coded error whose message carries tofu's own
// error lines (its stderr), so the job and the audit entry say what went wrong.
func tofuError(ctx context.Context, step string, err error) error {
	if ctx.Err() != nil {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "tofu %s was cancelled (%v); the state written so far was saved", step, context.Cause(ctx))
	}
	var nb *tfexec.ErrNoSuitableBinary
	if errors.As(err, &nb) {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "tofu %s could not start: %v", step, err)
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	return launchpad.Errorf(launchpad.EUNAVAILABLE, "tofu %s failed: %s", step, launchpad.Clip(msg, 1500))
}
