package controlplane

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// giveTenant records a tenant for userID, as a first apply would.
func (e *testEnv) giveTenant(t *testing.T, userID string) {
	t.Helper()
	app := "lp-hermes-" + strings.ToLower(userID[:min(8, len(userID))]) + "-t1"
	if err := e.store.CreateTenant(context.Background(), &launchpad.Tenant{AppName: app, UserID: userID, Product: "hermes",
		Region: "iad", Plan: "starter", Image: "registry.fly.io/hermes:1", Network: app, MachineID: "m1", VolumeID: "vol1"}); err != nil {
		t.Fatal(err)
	}
}

// An operator resets a user's tenant: 202 with the apply that carries the new reset
// generation (and the others as they are), audited with the operator; the generation is
// stored. Refused for a user without a tenant, or without a subscription to apply.
func TestAdminResetOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	c := e.newClient("ops-cli")
	const user = "dora01"
	e.subscribed(user)
	if r := c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/reset", "ops-ben", nil); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "no tenant to reset") {
		t.Fatalf("reset without a tenant: %d %s", r.status, r.body)
	}
	e.giveTenant(t, user)
	rebuilt := decodeAction(t, c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/rebuild", "ops-ben", nil), http.StatusAccepted)
	a := decodeAction(t, c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/reset", "ops-ben", nil), http.StatusAccepted)
	if a.Action != "reset" || a.Generation != 1 || a.Job == nil || a.AuditEventID == "" || rebuilt.Generation != 1 {
		t.Fatalf("reset answers %+v (after rebuild %+v)", a, rebuilt)
	}
	j, err := e.store.GetJob(context.Background(), a.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := launchpad.ParseApplyRequest(j.Payload); err != nil || d.Reset != 1 || d.Rebuild != 1 || d.Reason != launchpad.ReasonReset {
		t.Fatalf("the reset's apply carries %+v (%v); want reset 1, rebuild 1", d, err)
	}
	if u, _ := e.store.GetUser(context.Background(), user); u.Control.ResetGeneration != 1 || u.Control.RebuildGeneration != 1 {
		t.Fatalf("stored generations %+v", u.Control)
	}
	evs := mustAudit(t, e.store, user, launchpad.AuditTenantReset)
	if len(evs) != 1 || evs[0].Actor != "operator:ops-ben" || evs[0].Details["phase"] != "requested" || evs[0].Details["generation"] != "1" {
		t.Fatalf("reset audit %+v", evs)
	}
	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/api/admin/tenants/nobody/reset", http.StatusNotFound, "no user nobody"},
		{"/api/admin/tenants/" + user + "/reset?wipe=1", http.StatusBadRequest, "wipe"},
	} {
		if r := c.adminAs(http.MethodPost, tc.path, "", nil); r.status != tc.status || !strings.Contains(string(r.body), tc.says) {
			t.Errorf("POST %s: %d %s; want %d saying %q", tc.path, r.status, r.body, tc.status, tc.says)
		}
	}
	if r := c.do(http.MethodPost, "/api/admin/tenants/"+user+"/reset", "not-the-admin-token", nil); r.status != http.StatusUnauthorized {
		t.Errorf("reset without the admin token: %d", r.status)
	}
	if u, _ := e.store.GetUser(context.Background(), user); u.Control.ResetGeneration != 1 {
		t.Errorf("refused resets moved the generation to %d", u.Control.ResetGeneration)
	}
}

// A signed-in user resets their own tenant: audited as themselves, refused before they have
// a tenant, and rate-limited with rotate-key.
func TestMeResetIsTheUsersOwn(t *testing.T) {
	e := newTestEnv(t)
	c, tok, userID := e.signedIn("browser", "rosa@example.com")
	if r := c.do(http.MethodPost, "/api/me/reset", tok.AccessToken, nil); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "no tenant to reset") {
		t.Fatalf("reset before a tenant: %d %s", r.status, r.body)
	}
	e.subscribed(userID)
	e.giveTenant(t, userID)
	a := decodeAction(t, c.do(http.MethodPost, "/api/me/reset", tok.AccessToken, nil), http.StatusAccepted)
	if a.Action != "reset" || a.Generation != 1 || a.UserID != userID || a.Job == nil {
		t.Fatalf("own reset answers %+v", a)
	}
	evs := mustAudit(t, e.store, userID, launchpad.AuditTenantReset)
	if len(evs) != 1 || evs[0].Actor != "user:"+userID {
		t.Fatalf("own reset audited as %+v", evs)
	}
	decodeAction(t, c.do(http.MethodPost, "/api/me/reset", tok.AccessToken, nil), http.StatusAccepted)
	if r := c.do(http.MethodPost, "/api/me/reset", tok.AccessToken, nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("a fourth tenant action in a row (the first was refused): %d %s; want 429", r.status, r.body)
	}
	if r := c.do(http.MethodPost, "/api/me/reset", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("reset signed out: %d", r.status)
	}
}

// TestResetGivesANewEmptyVolume resets a tenant through the user's own POST /api/me/reset,
// with serve's runner and the real tofu: a new machine on a new, empty volume in the same
// app, with the same IPs and key; the old volume kept at Fly as a snapshot for the default
// retention; audited as requested by the user, then done by the provider naming the snapshot.
func TestResetGivesANewEmptyVolume(t *testing.T) {
	s := startFleet(t, nil)
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
