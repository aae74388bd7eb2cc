package tenant_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// These are the flows that Fly's asynchronous and versioned behaviour used to break (issue
// 16), each on the strict simulator: every one must converge in one call.

// liveMachine is the app's one machine that is not destroyed; the test fails if there is not
// exactly one.
func liveMachine(t *testing.T, app *sim.FlyAppSnapshot) sim.MachineSnapshot {
	t.Helper()
	var live []sim.MachineSnapshot
	for _, m := range app.Machines {
		if m.State != "destroyed" {
			live = append(live, m)
		}
	}
	if len(live) != 1 {
		t.Fatalf("app %s has %d machines that are not destroyed, want 1: %+v", app.Name, len(live), app.Machines)
	}
	return live[0]
}

// onCurrentSecrets fails the test unless the machine runs the app's current secrets version
// with the key whose plaintext is key.
func onCurrentSecrets(t *testing.T, app *sim.FlyAppSnapshot, m sim.MachineSnapshot, key string) {
	t.Helper()
	if m.SecretsVersion != app.SecretsVersion || m.Secrets[launchpad.KeySecretName] != sim.SecretDigest(key) {
		t.Errorf("machine %s runs secrets version %d (key %s); the app is at version %d and the key is %s",
			m.ID, m.SecretsVersion, m.Secrets[launchpad.KeySecretName], app.SecretsVersion, sim.SecretDigest(key))
	}
}

// A running machine sees a new secret only once it is updated for the version that holds it
// (Fly: "existing Machines must be updated to pick up secrets"); a stop and start boots it on
// its old version. A new key must reach the running machine.
func TestNewKeyReachesTheRunningMachine(t *testing.T) {
	const byok = "sk-or-v1-byok-of-alice-0123456789abcdef"
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	onCurrentSecrets(t, w.App(before.Tenant.AppName), liveMachine(t, w.App(before.Tenant.AppName)), subKeyOf("alice01"))

	must(t, svc.StoreBYOK(ctx, "alice01", byok))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, BYOKKeyChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	app := w.App(after.Tenant.AppName)
	m := liveMachine(t, app)
	if m.ID != before.Tenant.MachineID || m.State != "started" || after.Tenant.MachineState != launchpad.MachineStarted {
		t.Errorf("machine %s %s, want the same machine, started", m.ID, m.State)
	}
	onCurrentSecrets(t, app, m, byok)
}

// A machine stopped at its hour cap gets the new key too, and stays stopped.
func TestNewKeyReachesAStoppedMachine(t *testing.T) {
	const byok = "sk-or-v1-byok-of-alice-0123456789abcdef"
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	tn := before.Tenant
	must(t, w.Runtime.StopMachine(ctx, tn.AppName, tn.MachineID))
	must(t, svc.StoreBYOK(ctx, "alice01", byok))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, BYOKKeyChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	app := w.App(after.Tenant.AppName)
	m := liveMachine(t, app)
	if m.State != "stopped" {
		t.Errorf("machine %s, want it left stopped", m.State)
	}
	onCurrentSecrets(t, app, m, byok)
}

// A volume grown under a running machine is seen at its new size only once the machine boots
// again (Fly's needs_restart): a plan that only grows the volume must still restart it.
func TestGrownVolumeIsSeenByTheMachine(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	bigger := *w.Starter
	bigger.Name, bigger.VolumeSizeGB = "starter-big", 10 // the same machine, a bigger disk
	must(t, w.Store.CreatePlan(ctx, &bigger))

	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: &bigger, Image: tenanttest.Image, SubKeyHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	app := w.App(after.Tenant.AppName)
	vols := app.LiveVolumes()
	if len(vols) != 1 || vols[0].SizeGB != 10 || vols[0].FilesystemSizeGB != 10 || after.VolumeSizeGB != 10 {
		t.Errorf("volumes %+v, want the one volume at 10 GB and its filesystem too (the machine restarted)", vols)
	}
	if m := liveMachine(t, app); m.State != "started" || m.ID != before.Tenant.MachineID {
		t.Errorf("machine %s %s, want the same machine, started", m.ID, m.State)
	}
}

// Fly answers a destroy at once and keeps the machine's volume until the machine is
// destroyed: a rebuild (destroy, then a new machine on the same volume) waits for it.
func TestRebuildWaitsForTheOldMachine(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, RebuildGeneration: 1})
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	app := w.App(after.Tenant.AppName)
	m := liveMachine(t, app)
	if m.ID == before.Tenant.MachineID || m.Name != "agent-g1" || m.State != "started" || len(m.Mounts) != 1 || m.Mounts[0].Volume != before.Tenant.VolumeID {
		t.Errorf("machine %s %s %s on %+v, want a new agent-g1, started, on volume %s", m.ID, m.Name, m.State, m.Mounts, before.Tenant.VolumeID)
	}
	onCurrentSecrets(t, app, m, subKeyOf("alice01"))
}

// A machine destroyed outside Launchpad is destroying for a while: the repair that makes a new
// one waits until the volume is free.
func TestRepairAfterAnOutOfBandDestroyWaitsForTheVolume(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	must(t, w.Runtime.DestroyMachine(ctx, before.Tenant.AppName, before.Tenant.MachineID, true))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if m := liveMachine(t, w.App(after.Tenant.AppName)); m.ID != after.Tenant.MachineID || m.State != "started" {
		t.Errorf("machine %s %s, want the new one, started", m.ID, m.State)
	}
}

// Teardown destroys the machine, then deletes the volume: only once the machine is destroyed,
// since Fly keeps the volume attached until then (412).
func TestTeardownWaitsForTheMachineBeforeTheVolume(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	start := time.Now()
	if err := svc.Teardown(ctx, b.Tenant); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if w.App(b.Tenant.AppName) != nil {
		t.Errorf("app %s is still at Fly", b.Tenant.AppName)
	}
	if took := time.Since(start); took < sim.DefaultTransitions().Destroy {
		t.Errorf("teardown took %s, less than a destroy takes: it did not wait for the machine", took)
	}
}
