package runner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestARunWhoseStateWasLostAdoptsWhatTheStoreRecords plays a worker killed after the
// provider created the tenant and its key but before tofu wrote its state: the stored state is
// gone, the store's records and the simulators' objects are not. The next run must import
// them and converge — no "already exists" failure, no second app or key — and a destroy in
// the same situation must leave nothing behind.
func TestARunWhoseStateWasLostAdoptsWhatTheStoreRecords(t *testing.T) {
	w := newE2EWorld(t)
	const user = "alice01"
	w.run(t, runner.Desired{UserID: user, Plan: "starter", Reason: runner.ReasonSubscription})
	app := w.onlyApp(t)

	// The state is gone from the store and from the work directory (a fresh replica).
	loseState := func() {
		if err := w.store.DeleteState(t.Context(), user); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(w.dataDir, "workspaces", user, "terraform.tfstate")); err != nil {
			t.Fatal(err)
		}
	}
	loseState()
	sum, _ := w.run(t, runner.Desired{UserID: user, Plan: "pro", Reason: runner.ReasonSubscription})
	if sum.Add != 0 || sum.Destroy != 0 {
		t.Fatalf("after adoption the upgrade planned %+v; want in-place changes only", sum)
	}
	if again := w.onlyApp(t); again.Name != app.Name {
		t.Fatalf("the run made app %s beside %s", again.Name, app.Name)
	}
	w.checkTenant(t, w.onlyApp(t), 2, 4096, 20)
	w.checkKeyLimit(t, 50)
	if keys := w.or.Sim.Snapshot().Keys; len(keys) != 1 {
		t.Fatalf("OpenRouter holds %d keys, want the one adopted", len(keys))
	}

	loseState()
	sum, _ = w.run(t, runner.Desired{UserID: user, Destroy: true, Reason: runner.ReasonEnded})
	if sum != (launchpad.PlanSummary{Destroy: 2}) {
		t.Fatalf("destroy after a lost state planned %+v, want the 2 adopted resources destroyed", sum)
	}
	if apps := w.fly.Sim.Snapshot().Apps; len(apps) != 0 {
		t.Fatalf("after the destroy the Fly simulator still has %d apps", len(apps))
	}
	if keys := w.or.Sim.Snapshot().Keys; len(keys) != 0 {
		t.Fatalf("after the destroy OpenRouter still has %d keys", len(keys))
	}
}
