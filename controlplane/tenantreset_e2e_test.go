package controlplane

import (
	"net/http"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// TestResetGivesANewEmptyVolume resets a tenant through the user's own POST /api/me/reset,
// with serve's runner and the real tofu: a new machine on a new, empty volume in the same
// app, with the same IPs and key; the old volume kept at Fly as a snapshot for the default
// retention; audited as requested by the user, then done by the provider naming the snapshot.
func TestResetGivesANewEmptyVolume(t *testing.T) {
	s := startStack(t, true, nil)
	createPlans(t, s.store)
	token, user, before := s.provision("rene@example.com")

	r := s.do(http.MethodPost, "/api/me/reset", token, nil, nil)
	mustStatus(t, r, http.StatusAccepted)
	var a TenantActionResponse
	r.decode(t, &a)
	if a.Generation != 1 || a.Action != "reset" || a.Job == nil {
		t.Fatalf("reset answered %+v", a)
	}
	s.finished(a.Job.ID)
	after := s.tenantOf(user)
	if after.VolumeID == before.VolumeID || after.MachineID == before.MachineID || after.AppName != before.AppName ||
		after.IPv4 != before.IPv4 || after.SubKeyHash != before.SubKeyHash || after.ResetGeneration != 1 {
		t.Fatalf("reset: volume %s → %s, machine %s → %s, app %s → %s, generation %d; want a new volume and machine, the rest kept",
			before.VolumeID, after.VolumeID, before.MachineID, after.MachineID, before.AppName, after.AppName, after.ResetGeneration)
	}
	if m := s.machine(after.AppName, after.MachineID); len(m.Mounts) != 1 || m.Mounts[0].Volume != after.VolumeID || m.State != "started" {
		t.Fatalf("the new machine %+v; want it started on volume %s", m, after.VolumeID)
	}
	var snapshot string
	for _, app := range s.fly.Sim.Snapshot().Apps {
		if app.Name != after.AppName {
			continue
		}
		for _, v := range app.LiveVolumes() {
			if v.ID != after.VolumeID || v.RestoredFrom != "" {
				t.Fatalf("live volume %+v; want only the new empty %s", v, after.VolumeID)
			}
		}
		for _, b := range app.VolumeBackups {
			if b.VolumeID == before.VolumeID && b.RetentionDays == tenant.DefaultResetRetentionDays {
				snapshot = b.ID
			}
		}
	}
	if snapshot == "" {
		t.Fatalf("no snapshot of the old volume %s kept %d days", before.VolumeID, tenant.DefaultResetRetentionDays)
	}
	events := s.auditOf(token)
	if ev := findEvent(events, launchpad.AuditTenantReset, "requested"); ev == nil || ev.Actor != "user:"+user || ev.Details["generation"] != "1" {
		t.Fatalf("the requested reset in the user's audit: %+v", ev)
	}
	var done bool
	for _, ev := range events {
		done = done || (ev.Action == launchpad.AuditTenantReset && ev.Details["snapshot"] == snapshot && ev.Details["previous_volume"] == before.VolumeID)
	}
	if !done {
		t.Fatalf("no tenant.reset event of the apply naming snapshot %s", snapshot)
	}
}
