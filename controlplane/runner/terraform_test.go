package runner_test

import (
	"os/exec"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The runner drives HashiCorp Terraform as well as OpenTofu: with LAUNCHPAD_TOFU=terraform
// it creates a tenant, finds nothing to do on the next run, and destroys it. (The CLI config
// it writes overrides both registries' address of the provider.)
func TestApplyWithTerraform(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		stacktest.Missing(t, "terraform is not on PATH: install HashiCorp Terraform (>= 1.11) to run the runner on it (LAUNCHPAD_TOFU=terraform)")
	}
	cfg, err := runner.EnvConfig(envMap{"LAUNCHPAD_TOFU": "terraform"}.get)
	if err != nil || cfg.Tofu != "terraform" {
		t.Fatalf("EnvConfig with LAUNCHPAD_TOFU=terraform: %+v, %v", cfg.Tofu, err)
	}
	w := newE2EWorldOn(t, cfg.Tofu)
	const user = "alice01"
	if sum, _ := w.run(t, launchpad.ApplyRequest{UserID: user, Plan: "starter", Reason: launchpad.ReasonSubscription}); sum != (launchpad.PlanSummary{Add: 2}) {
		t.Fatalf("create summary %+v, want 2 to add", sum)
	}
	w.checkTenant(t, w.onlyApp(t), 1, 1024, 5)
	if sum, _ := w.run(t, launchpad.ApplyRequest{UserID: user, Plan: "starter"}); sum != (launchpad.PlanSummary{}) {
		t.Fatalf("second run %+v, want nothing to do", sum)
	}
	if sum, _ := w.run(t, launchpad.ApplyRequest{UserID: user, Destroy: true, Reason: launchpad.ReasonEnded}); sum != (launchpad.PlanSummary{Destroy: 2}) {
		t.Fatalf("destroy summary %+v, want 2 to destroy", sum)
	}
	if apps := w.fly.Sim.Snapshot().Apps; len(apps) != 0 {
		t.Fatalf("%d apps left at Fly", len(apps))
	}
}
