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

// A reset gives the tenant a new, empty volume and a new machine on it, and keeps the old
// volume as a snapshot for the retention asked; the app, its IPs and the key stay.
func TestResetReplacesTheVolumeAndKeepsASnapshot(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	found := refresh(t, svc, before)
	if d := tenant.Compare(found, appliedSettings(before), tenant.Wanted{Settings: tenant.Settings{
		Plan: "starter", Image: tenanttest.Image, SubKeyHash: hash, ResetGeneration: 1,
	}}, w.Starter); !d.Volume || !d.Machine {
		t.Errorf("drift %+v, want a new volume and a new machine planned", d)
	}
	after, err := svc.Reconcile(ctx, found, tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, ResetGeneration: 1, ResetRetentionDays: 12})
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	oldVol := before.Tenant.VolumeID
	nt := after.Tenant
	if nt.ResetGeneration != 1 || nt.VolumeID == "" || nt.VolumeID == oldVol {
		t.Fatalf("after reset: generation %d, volume %q; want generation 1 and a volume other than %s", nt.ResetGeneration, nt.VolumeID, oldVol)
	}
	if nt.AppName != before.Tenant.AppName || nt.IPv4 != before.Tenant.IPv4 || nt.IPv6 != before.Tenant.IPv6 {
		t.Errorf("app/IPs changed: %s %s %s, want %s %s %s", nt.AppName, nt.IPv4, nt.IPv6, before.Tenant.AppName, before.Tenant.IPv4, before.Tenant.IPv6)
	}
	app := w.App(nt.AppName)
	live := app.LiveVolumes()
	if len(live) != 1 || live[0].ID != nt.VolumeID || live[0].RestoredFrom != "" || !live[0].Encrypted {
		t.Errorf("live volumes %+v, want only the new, empty (not restored), encrypted %s", live, nt.VolumeID)
	}
	m := liveMachine(t, app)
	if m.ID == before.Tenant.MachineID || m.ID != nt.MachineID || m.State != "started" || len(m.Mounts) != 1 || m.Mounts[0].Volume != nt.VolumeID {
		t.Errorf("machine %s %s on %+v, want a new started machine on %s", m.ID, m.State, m.Mounts, nt.VolumeID)
	}
	onCurrentSecrets(t, app, m, subKeyOf("alice01"))

	k := after.Reset
	if k == nil {
		t.Fatal("Boundary.Reset is nil, want the kept snapshot")
	}
	var snap *sim.VolumeBackupSnapshot
	for i := range app.VolumeBackups {
		if app.VolumeBackups[i].ID == k.SnapshotID {
			snap = &app.VolumeBackups[i]
		}
	}
	if snap == nil || snap.VolumeID != oldVol || snap.RetentionDays != 12 || k.VolumeID != oldVol {
		t.Fatalf("kept %+v, Fly's snapshots %+v: want a snapshot of %s kept 12 days", k, app.VolumeBackups, oldVol)
	}
	if want := snap.CreatedAt.Add(12 * 24 * time.Hour); k.Until.Sub(want).Abs() > time.Second {
		t.Errorf("kept until %s, want %s", k.Until, want)
	}

	ev := tenant.ReconciledEvent(before.Tenant, after)
	if ev.Action != launchpad.AuditTenantReset || ev.Details["snapshot"] != k.SnapshotID || ev.Details["previous_volume"] != oldVol || ev.Details["volume"] != nt.VolumeID {
		t.Errorf("audit event %s %v, want %s naming the snapshot and both volumes", ev.Action, ev.Details, launchpad.AuditTenantReset)
	}

	// The same generation again changes nothing.
	again, err := svc.Reconcile(ctx, refresh(t, svc, after), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, ResetGeneration: 1})
	if err != nil || again.Tenant.VolumeID != nt.VolumeID || again.Tenant.MachineID != nt.MachineID || again.Reset != nil {
		t.Errorf("second apply: err %v, volume %s machine %s reset %+v; want nothing changed", err, again.Tenant.VolumeID, again.Tenant.MachineID, again.Reset)
	}
}

// A reset interrupted after the old volume was deleted resumes: the snapshot is found again,
// a new volume is made, and the generation is recorded only once the reset is done.
func TestResetResumesAfterTheVolumeWasDeleted(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	tn := before.Tenant
	must(t, w.Runtime.DestroyMachine(ctx, tn.AppName, tn.MachineID, true))
	must(t, w.Runtime.WaitMachine(ctx, tn.AppName, tn.MachineID, launchpad.MachineDestroyed, time.Minute))
	snap, err := w.Runtime.SnapshotVolume(ctx, tn.AppName, tn.VolumeID, 3)
	must(t, err)
	must(t, w.Runtime.DeleteVolume(ctx, tn.AppName, tn.VolumeID))

	// The state still names the old volume and machine, as the interrupted apply left it.
	after, err := svc.Reconcile(ctx, before, tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, ResetGeneration: 1})
	if err != nil {
		t.Fatalf("resumed reset: %v", err)
	}
	if after.Reset == nil || after.Reset.SnapshotID != snap.ID || after.Tenant.ResetGeneration != 1 || after.Tenant.VolumeID == tn.VolumeID {
		t.Errorf("resumed reset kept %+v, tenant %+v; want snapshot %s found and a new volume", after.Reset, after.Tenant, snap.ID)
	}
}

// A retention outside Fly's 1-60 days is refused before anything is touched.
func TestResetRefusesABadRetention(t *testing.T) {
	w, svc, before, hash := alice(t)
	after, err := svc.Reconcile(context.Background(), refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, ResetGeneration: 1, ResetRetentionDays: 61})
	mustCode(t, err, launchpad.EINVALID)
	if after.Tenant.ResetGeneration != 0 || after.Tenant.VolumeID != before.Tenant.VolumeID {
		t.Errorf("tenant %+v after a refused reset, want it unchanged", after.Tenant)
	}
	if m := liveMachine(t, w.App(before.Tenant.AppName)); m.ID != before.Tenant.MachineID {
		t.Errorf("machine %s, want the old one %s untouched", m.ID, before.Tenant.MachineID)
	}
}
