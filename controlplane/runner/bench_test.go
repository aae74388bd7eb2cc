package runner_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestMeasureApply prints the wall times of the runner's plan+apply of one tenant, of a no-op
// run, and of the same resize run directly with tofu (the floor). It asserts only that the
// runs succeed: the figures are for reading, not for failing on.
func TestMeasureApply(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short: measures several real applies")
	}
	w := newE2EWorld(t)
	const user, n = "bench01", 5
	w.run(t, launchpad.ApplyRequest{UserID: user, Plan: "starter"})

	plans := []string{"pro", "starter"}
	var resize, noop, direct time.Duration
	for i := range n {
		_, took := w.run(t, launchpad.ApplyRequest{UserID: user, Plan: plans[i%2]})
		resize += took
		sum, took := w.run(t, launchpad.ApplyRequest{UserID: user, Plan: plans[i%2]})
		if sum != (launchpad.PlanSummary{}) {
			t.Fatalf("a repeated run changed %+v", sum)
		}
		noop += took
	}

	// The floor: the same resize with tofu alone, in a workspace prepared like the runner's.
	dir := t.TempDir()
	rc := filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(rc, []byte(`provider_installation {
  dev_overrides { "registry.opentofu.org/clawdrun/launchpad" = "`+filepath.Dir(launchpadBinary.Path(t))+`" }
  direct {}
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1")
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	tofu := stacktest.Tofu(t)
	runTofu := func(args ...string) {
		cmd := exec.Command(tofu, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tofu %v: %v\n%s", args, err, out)
		}
	}
	render := func(plan string) {
		out, err := runner.Render(runner.Defaults{Product: "hermes", Region: "iad", Image: runner.DefaultImage}.Apply(launchpad.ApplyRequest{UserID: "direct01", Plan: plan}))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf.json"), out, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	render("starter")
	runTofu("apply", "-auto-approve", "-input=false", "-no-color")
	for i := range n {
		render(plans[i%2])
		start := time.Now()
		runTofu("plan", "-input=false", "-no-color", "-out=tfplan")
		runTofu("apply", "-input=false", "-no-color", "tfplan")
		direct += time.Since(start)
	}
	avg := func(d time.Duration) time.Duration { return (d / n).Round(time.Millisecond) }
	t.Logf("MEASURED over %d runs each, one tenant + sub-key against the simulators:", n)
	t.Logf("  runner resize (plan -out, apply with show -json, state save): %s", avg(resize))
	t.Logf("  runner no-op (plan with refresh, nothing applied):       %s", avg(noop))
	t.Logf("  direct tofu resize (plan -out, apply) floor:             %s  ratio %.2f", avg(direct), float64(resize)/float64(direct))
}
