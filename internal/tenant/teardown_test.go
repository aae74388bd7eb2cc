package tenant_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// A destroy interrupted at any point, or run twice, simply runs again.
func TestTeardownIsIdempotent(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	tn := b.Tenant
	// Interrupted after the machine went: the rest still goes.
	must(t, w.Runtime.DestroyMachine(ctx, tn.AppName, tn.MachineID, true))
	for i := range 2 {
		if err := svc.Teardown(ctx, tn); err != nil {
			t.Fatalf("teardown %d: %v", i+1, err)
		}
		if err := svc.Forget(ctx, tn.AppName); err != nil {
			t.Fatalf("forget %d: %v", i+1, err)
		}
	}
	if len(w.Fly.Sim.Snapshot().Apps) != 0 {
		t.Errorf("left at Fly: %+v", w.Fly.Sim.Snapshot().Apps)
	}
	if _, err := w.Store.GetTenant(ctx, tn.AppName); !launchpad.IsNotFound(err) {
		t.Errorf("the record: err = %v, want it gone", err)
	}
}

// A tenant whose ids were never recorded (an import that failed half-way) is found by name.
func TestTeardownFindsPartsItHasNoIdsFor(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	if err := svc.Teardown(ctx, &launchpad.Tenant{AppName: b.Tenant.AppName}); err != nil {
		t.Fatal(err)
	}
	if w.App(b.Tenant.AppName) != nil {
		t.Errorf("the app is still at Fly")
	}
}

// The agent machine's logs are kept 7 days and deleted on destroy: the machine Fly runs is
// told to write them on the workspace volume and keep each file 7 days, and destroying the
// tenant deletes that volume (and so the logs) with the app.
func TestAgentLogsLiveOnTheVolumeForSevenDays(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	app := w.App(b.Tenant.AppName)
	if app == nil || len(app.Machines) != 1 {
		t.Fatalf("the tenant's app at Fly: %+v; want one machine", app)
	}
	got, err := app.Machines[0].LogRetention()
	if err != nil {
		t.Fatal(err)
	}
	if got.Days != 7 || got.Dir != launchpad.AgentLogDir || got.Volume != b.Tenant.VolumeID {
		t.Fatalf("agent logs %+v; want 7 days in %s on the tenant's volume %s", got, launchpad.AgentLogDir, b.Tenant.VolumeID)
	}

	if kept, step, err := svc.Destroy(ctx, b.Tenant, 0); err != nil || kept != nil || step != "" {
		t.Fatalf("destroy: %+v, %q, %v", kept, step, err)
	}
	if app := w.App(b.Tenant.AppName); app != nil {
		t.Fatalf("after the destroy the app, and the volume holding the logs, are still at Fly: %+v", app)
	}
}

// A tenant destroyed with a retention keeps its workspace as a snapshot in its app, which
// stays (empty: no machine, volume, address or key); recreating the tenant from it restores
// the volume into the same app.
func TestRetainThenRestoreTheWorkspace(t *testing.T) {
	ctx := context.Background()
	w, svc, b, hash := alice(t)
	tn := b.Tenant
	kept, err := svc.Retain(ctx, tn, 7)
	if err != nil {
		t.Fatalf("retain: %v", err)
	}
	// The simulator's clock is the wall clock here (w.Clock only stamps app names).
	if kept == nil || kept.AppName != tn.AppName || kept.VolumeID != tn.VolumeID || kept.SnapshotID == "" || kept.Region != "iad" ||
		time.Until(kept.Until) < 7*24*time.Hour-time.Minute || time.Until(kept.Until) > 7*24*time.Hour {
		t.Fatalf("kept %+v, want the app, the volume's snapshot, kept 7 days", kept)
	}
	app := w.App(tn.AppName)
	if app == nil || len(app.LiveVolumes()) != 0 || len(app.IPs) != 0 || len(app.Secrets) != 0 || len(app.VolumeBackups) != 1 {
		t.Fatalf("at Fly after the retain: %+v, want the app with one snapshot and nothing else", app)
	}
	for _, m := range app.Machines {
		if m.State != "destroyed" {
			t.Fatalf("machine %s is %s, want destroyed", m.ID, m.State)
		}
	}
	// Run again (an interrupted destroy): the same snapshot is found, the app still kept.
	again, err := svc.Retain(ctx, tn, 7)
	if err != nil || again == nil || again.SnapshotID != kept.SnapshotID || w.App(tn.AppName) == nil {
		t.Fatalf("retain again: %+v, %v; want the same snapshot", again, err)
	}
	must(t, svc.Forget(ctx, tn.AppName))
	must(t, w.Store.PutRetainedWorkspace(ctx, kept.Record(w.Clock.Now()))) // as Destroy records it

	// Another user whose name folds to alice01's uid8 never takes the kept app.
	w.Clock.Set(tn.CreatedAt)
	other, _ := start(t, w, svc, "Alice01")
	if other.Tenant.AppName == tn.AppName {
		t.Fatalf("user Alice01 was given the app %s kept for alice01", tn.AppName)
	}

	// alice01 comes back within the retention: the workspace is restored into the same app.
	w.Clock.Advance(3 * 24 * time.Hour)
	key, err := svc.ResolveKey(ctx, "alice01", hash, w.Pro)
	if err != nil {
		t.Fatal(err)
	}
	want := w.Want("alice01")
	want.Plan = w.Pro.Name
	back, err := svc.CreateFrom(ctx, want, w.Pro, key, tenant.Retained{AppName: kept.AppName, SnapshotID: kept.SnapshotID})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	app = w.App(tn.AppName)
	if live := app.LiveVolumes(); back.Tenant.AppName != tn.AppName || len(live) != 1 || live[0].RestoredFrom != kept.SnapshotID ||
		back.VolumeSizeGB != w.Pro.VolumeSizeGB || back.Tenant.MachineState != launchpad.MachineStarted || len(app.IPs) != 2 {
		t.Fatalf("restored tenant %+v (%d GB) at Fly %+v: want the same app, the volume from the snapshot extended to pro's 20 GB, a started machine and both IPs",
			back.Tenant, back.VolumeSizeGB, app)
	}
	// The app is a tenant's again: the purge loop no longer counts it as a retained workspace.
	if recs, err := w.Store.ListRetainedWorkspaces(ctx, w.Clock.Now().Add(365*24*time.Hour), 10); err != nil || len(recs) != 0 {
		t.Fatalf("retained workspaces after the restore: %+v, %v; want none", recs, err)
	}
}

// What a restore refuses, before anything is made: another product's or user's app, an app
// that is gone, a snapshot that is not kept.
func TestRestoreRefusesWhatIsNotTheTenantsWorkspace(t *testing.T) {
	ctx := context.Background()
	w, svc, b, hash := alice(t)
	kept, err := svc.Retain(ctx, b.Tenant, 2)
	if err != nil {
		t.Fatal(err)
	}
	must(t, svc.Forget(ctx, b.Tenant.AppName))
	key, err := svc.ResolveKey(ctx, "alice01", hash, w.Starter)
	if err != nil {
		t.Fatal(err)
	}
	bob := w.Want("bob02")
	_, err = svc.CreateFrom(ctx, bob, w.Starter, key, tenant.Retained{AppName: kept.AppName, SnapshotID: kept.SnapshotID})
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "not a hermes tenant of user bob02") {
		t.Fatalf("bob02 restoring alice01's workspace: %v", err)
	}
	gone, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now().Add(time.Hour))
	_, err = svc.CreateFrom(ctx, w.Want("alice01"), w.Starter, key, tenant.Retained{AppName: gone, SnapshotID: kept.SnapshotID})
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "no longer exists") || w.App(gone) != nil {
		t.Fatalf("restoring from an app that is gone: %v", err)
	}
	// A snapshot Fly no longer keeps (past its retention: internal/sim tests the expiry).
	_, err = svc.CreateFrom(ctx, w.Want("alice01"), w.Starter, key, tenant.Retained{AppName: kept.AppName, SnapshotID: "vs_expired0000000000"})
	if err == nil || !strings.Contains(err.Error(), "vs_expired0000000000") {
		t.Fatalf("restoring a snapshot that is not kept: %v", err)
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
