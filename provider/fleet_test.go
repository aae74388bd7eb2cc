package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestAccFleetExample runs examples/fleet exactly as shipped, on OpenTofu or Terraform
// (whichever TF_ACC_TERRAFORM_PATH names) — its own versions.tf and
// provider block, the provider binary built from this repository and found through
// dev_overrides, every setting from the environment as run.sh gives it — the way an operator
// would: apply; move one tenant to another plan and expect exactly two in-place updates;
// destroy and expect the simulators and the store empty. (terraform-plugin-testing cannot
// read for_each state, so this test drives tofu with terraform-exec.)
func TestAccFleetExample(t *testing.T) {
	tofu := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || tofu == "" {
		t.Skip("WARNING: needs TF_ACC and TF_ACC_TERRAFORM_PATH (make test sets them)")
	}
	ctx := context.Background()
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	files := map[string]string{}
	for _, f := range []string{"main.tf", "versions.tf"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "fleet", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	tf, _ := e.cliWorkspace(t, tofu, "fleet", files)

	if err := tf.Apply(ctx); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := e.checkOneOfEverything([]string{"alice01", "bob02", "carol03"}); err != nil {
		t.Fatal(err)
	}
	f, err := invariants.ReadFleet(ctx, e.store, e.fly.Sim.Snapshot(), e.or.Sim.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Isolated().Err(); err != nil {
		t.Fatal(err)
	}
	state, err := tf.Show(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.assertNoPlaintextIn(t, state)

	carolToPro := tfexec.Var(`plans={alice="starter",bob="pro",carol="pro"}`)
	planFile := filepath.Join(tf.WorkingDir(), "carol.tfplan")
	if _, err := tf.Plan(ctx, tfexec.Out(planFile), carolToPro); err != nil {
		t.Fatalf("plan: %v", err)
	}
	plan, err := tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := onlyInPlaceUpdates(plan, `launchpad_subkey.user["carol"]`, `launchpad_tenant.user["carol"]`); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx, tfexec.DirOrPlan(planFile)); err != nil {
		t.Fatalf("apply the plan: %v", err)
	}
	state, err = tf.Show(ctx)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := jsonAttributes(state, `launchpad_tenant.user["carol"]`)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.verifyBoundary(carol, launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}, 20); err != nil {
		t.Fatal(err)
	}
	key, err := jsonAttributes(state, `launchpad_subkey.user["carol"]`)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.verifyKeyLimit(key["id"], 50); err != nil {
		t.Fatal(err)
	}

	if err := tf.Destroy(ctx, carolToPro); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if err := e.checkNothingLeft(nil); err != nil {
		t.Fatalf("after destroy: %v", err)
	}
}

// onlyInPlaceUpdates checks that a plan updates exactly the given resources in place and
// leaves everything else alone: no create, no delete, no replacement.
func onlyInPlaceUpdates(plan *tfjson.Plan, want ...string) error {
	updated := map[string]bool{}
	for _, rc := range plan.ResourceChanges {
		switch {
		case rc.Change.Actions.NoOp() || rc.Change.Actions.Read():
		case rc.Change.Actions.Update():
			updated[rc.Address] = true
		default:
			return fmt.Errorf("%s planned %v; only in-place updates are expected", rc.Address, rc.Change.Actions)
		}
	}
	for _, a := range want {
		if !updated[a] {
			return fmt.Errorf("%s is not updated in place (updates: %v)", a, updated)
		}
	}
	if len(updated) != len(want) {
		return fmt.Errorf("updates %v, want exactly %v", updated, want)
	}
	return nil
}

// cliWorkspace is a work directory holding files, with a terraform-exec handle on the CLI cli
// (tofu or terraform) that runs the provider built from this repository through
// dev_overrides and takes every setting from the environment, as an operator's shell would,
// for this test's simulators and store (Fly organization org). Its output is what the CLI
// printed so far (warnings included).
func (e *testEnv) cliWorkspace(t *testing.T, cli, org string, files map[string]string) (*tfexec.Terraform, *strings.Builder) {
	t.Helper()
	binDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "terraform-provider-launchpad"), "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the provider: %v\n%s", err, out)
	}
	work := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cliConfig := filepath.Join(work, "tofurc")
	// Both registries' addresses: "clawdrun/launchpad" is registry.opentofu.org/… to OpenTofu
	// and registry.terraform.io/… to Terraform, and these tests run on either.
	if err := os.WriteFile(cliConfig, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "registry.opentofu.org/clawdrun/launchpad" = %[1]q
    "registry.terraform.io/clawdrun/launchpad" = %[1]q
  }
  direct {}
}
`, binDir), 0o600); err != nil {
		t.Fatal(err)
	}
	tf, err := tfexec.NewTerraform(work, cli)
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.SetEnv(map[string]string{
		"TF_CLI_CONFIG_FILE": cliConfig, "HOME": os.Getenv("HOME"), "PATH": os.Getenv("PATH"),
		"LAUNCHPAD_STORE": e.storeURL, "PLATFORM_SECRET": testSecret,
		"FLY_API_TOKEN": e.fly.Token, "FLY_ORG": org, "FLY_FLAPS_BASE_URL": e.fly.URL,
		"OPENROUTER_MANAGEMENT_KEY": e.or.ManagementKey, "OPENROUTER_API_URL": e.or.URL,
	}); err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	tf.SetStdout(out)
	tf.SetStderr(out)
	return tf, out
}
