package tenant_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

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

// Users whose ids fold to the same uid8, created at the same second and at once, each get
// their own name: the later ones take the next free seconds.
func TestCreateGivesUsersWithOneUID8TheirOwnNames(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	svc := w.Tenants()
	users := []string{"Dora0101a", "dora0101b", "DORA0101c", "dora0101-d", "DoRa0101ee"}
	type made struct {
		name string
		err  error
	}
	out := make(chan made, len(users))
	for _, u := range users {
		hash := w.GiveSubKey(t, u, subKeyOf(u))
		go func() {
			key, err := svc.ResolveKey(ctx, u, hash, w.Starter)
			if err != nil {
				out <- made{err: err}
				return
			}
			b, err := svc.Create(ctx, w.Want(u), w.Starter, key)
			if err == nil {
				err = svc.Save(ctx, b.Tenant)
			}
			if err != nil {
				out <- made{err: err}
				return
			}
			out <- made{name: b.Tenant.AppName}
		}()
	}
	names := map[string]bool{}
	for range users {
		m := <-out
		if m.err != nil {
			t.Fatalf("create: %v", m.err)
		}
		if names[m.name] {
			t.Fatalf("two users got %s", m.name)
		}
		if !strings.HasPrefix(m.name, "lp-hermes-dora0101-") || launchpad.ValidateAppName(m.name) != nil {
			t.Fatalf("name %s does not follow the rule", m.name)
		}
		names[m.name] = true
	}
	for _, u := range users {
		recs, err := w.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: u})
		if err != nil || len(recs) != 1 || w.App(recs[0].AppName) == nil {
			t.Fatalf("user %s: records %+v, %v; want one, at Fly", u, recs, err)
		}
		if m := w.App(recs[0].AppName).Machines[0]; m.Metadata["launchpad_user_id"] != u {
			t.Fatalf("app %s runs user %s's machine, want %s's", recs[0].AppName, m.Metadata["launchpad_user_id"], u)
		}
	}
	if n := len(w.Fly.Sim.Snapshot().Apps); n != len(users) {
		t.Errorf("%d apps at Fly, want %d (no orphan from a lost claim)", n, len(users))
	}
}
