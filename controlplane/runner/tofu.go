package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

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

// tofuRun drives tofu in one work directory through terraform-exec: tf for the commands
// whose output goes to the job log, quiet for `show -json` (a JSON plan holds sensitive
// values in the clear, so it must not reach the log).
type tofuRun struct {
	tf, quiet *tfexec.Terraform
}

// tofu returns terraform-exec handles on dir. On cancellation terraform-exec sends tofu
// SIGINT (tofu stops its providers and writes its state) and kills it if it is still running
// CancelGrace later.
func (r *Runner) tofu(dir string, out io.Writer) (*tofuRun, error) {
	mk := func(out io.Writer) (*tfexec.Terraform, error) {
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
		if out != nil {
			tf.SetStdout(out)
			tf.SetStderr(out)
		}
		return tf, nil
	}
	tf, err := mk(out)
	if err != nil {
		return nil, err
	}
	quiet, err := mk(nil)
	if err != nil {
		return nil, err
	}
	return &tofuRun{tf: tf, quiet: quiet}, nil
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

// planAndApply runs `plan -out` and, when the plan changes anything, applies that very plan
// while `show -json` of it (run at the same time: both only read the plan file) gives the
// summary. No `init` is needed: the launchpad provider comes from dev_overrides and
// terraform_data is built in, so nothing is downloaded.
func (t *tofuRun) planAndApply(ctx context.Context, jl *jobLog, log *slog.Logger) (launchpad.PlanSummary, error) {
	var summary launchpad.PlanSummary
	jl.Printf("tofu plan -out=%s", planFile)
	changes, err := t.tf.Plan(ctx, tfexec.Out(planFile))
	if err != nil {
		return summary, tofuError(ctx, "plan", err)
	}
	if !changes {
		jl.Printf("no changes; nothing to apply")
		return summary, nil
	}
	type shown struct {
		plan *tfjson.Plan
		err  error
	}
	show := make(chan shown, 1)
	go func() {
		p, err := t.quiet.ShowPlanFile(ctx, planFile)
		show <- shown{p, err}
	}()
	jl.Printf("tofu apply %s", planFile)
	applyErr := t.tf.Apply(ctx, tfexec.DirOrPlan(planFile))
	if s := <-show; s.err != nil {
		// The summary is a record, not a step of the apply: its loss is logged, not fatal.
		log.Warn("reading the plan's summary (tofu show -json) failed", "error", s.err)
		jl.Printf("the plan's summary could not be read (tofu show -json failed)")
	} else {
		summary = Summarize(s.plan)
	}
	if applyErr != nil {
		return summary, tofuError(ctx, "apply", applyErr)
	}
	return summary, nil
}

// Summarize counts what a plan adds, changes and destroys, the way tofu's "Plan: …" line
// does: a replacement is one add and one destroy; reads, no-ops and forgets are not counted.
func Summarize(p *tfjson.Plan) launchpad.PlanSummary {
	var s launchpad.PlanSummary
	if p == nil {
		return s
	}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Replace():
			s.Add++
			s.Destroy++
		case a.Create():
			s.Add++
		case a.Update():
			s.Change++
		case a.Delete():
			s.Destroy++
		}
	}
	return s
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
