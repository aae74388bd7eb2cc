package storetest

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Keys reach a store from users, Terraform configurations and Stripe. A store must treat them
// as data: these look like SQL, quote characters and non-ASCII text.
var hostileIDs = []string{
	`x'; DROP TABLE users; --`,
	`" OR 1=1 --`,
	`名前-ü-%_\`,
}

func hostileIDCases() []testCase {
	return []testCase{
		{"hostile_ids/are_plain_data", testHostileIDs},
	}
}

func testHostileIDs(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("plain")), "CreateUser plain")
	for i, id := range hostileIDs {
		u := newUser(id)
		wantOK(t, s.CreateUser(ctx, u), "CreateUser "+id)
		got, err := s.GetUser(ctx, id)
		wantOK(t, err, "GetUser "+id)
		wantEqual(t, "user "+id, got, newUser(id))
		got, err = s.GetUserByEmail(ctx, id+"@example.com")
		wantOK(t, err, "GetUserByEmail "+id)
		if got.ID != id {
			t.Fatalf("GetUserByEmail found %q, want %q", got.ID, id)
		}
		_, err = s.UpdateUser(ctx, id, func(u *launchpad.User) error { u.Plan = "team"; return nil })
		wantOK(t, err, "UpdateUser "+id)

		wantOK(t, s.CreateTenant(ctx, newTenant(id, id)), "CreateTenant "+id)
		tenants, err := s.ListTenants(ctx, launchpad.TenantFilter{UserID: id})
		wantOK(t, err, "ListTenants "+id)
		if len(tenants) != 1 || tenants[0].AppName != id {
			t.Fatalf("ListTenants(%q) = %d tenants", id, len(tenants))
		}
		wantOK(t, s.CreateSubKey(ctx, newSubKey(id, id)), "CreateSubKey "+id)
		_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: id, Data: []byte(id)})
		wantOK(t, err, "PutState "+id)
		j := newJob(launchpad.JobApply, id, at(time.Duration(i)*time.Second))
		j.ID = id
		_, err = s.EnqueueJob(ctx, j)
		wantOK(t, err, "EnqueueJob "+id)
		wantOK(t, s.AppendJobLog(ctx, id, []byte(id)), "AppendJobLog "+id)
		_, err = s.RecordStripeEvent(ctx, newStripeEvent(id, at(0)), nil)
		wantOK(t, err, "RecordStripeEvent "+id)
		wantOK(t, s.PutSignInCode(ctx, newSignInCode(id, []byte(id))), "PutSignInCode "+id)
		_, err = s.VerifySignInCode(ctx, id, at(time.Minute), 5, matches([]byte(id), nil))
		wantOK(t, err, "VerifySignInCode "+id)
		wantOK(t, s.CreateSession(ctx, newSession(id, id, id, id, at(0))), "CreateSession "+id)
		wantOK(t, s.RevokeSessionFamily(ctx, id, at(time.Minute)), "RevokeSessionFamily "+id)
		_, err = s.TouchDevice(ctx, newDevice(id, id), at(0))
		wantOK(t, err, "TouchDevice "+id)
		appendAudit(t, s, newAuditEvent(id, launchpad.AuditSignIn))
	}

	// Every table is intact, and every record is where it was put.
	users, err := s.ListUsers(ctx, "", 100)
	wantOK(t, err, "ListUsers")
	if len(users) != 1+len(hostileIDs) {
		t.Fatalf("%d users after the hostile ids, want %d", len(users), 1+len(hostileIDs))
	}
	for _, u := range users {
		if u.ID == "plain" {
			wantEqual(t, "the plain user", u, newUser("plain"))
		}
	}
	for _, id := range hostileIDs {
		if _, err := s.GetSubKey(ctx, id); err != nil {
			t.Fatalf("GetSubKey(%q): %v", id, err)
		}
		st, err := s.GetState(ctx, id)
		wantOK(t, err, "GetState "+id)
		if string(st.Data) != id {
			t.Fatalf("state of %q holds %q", id, st.Data)
		}
		log, err := s.ReadJobLog(ctx, id, 0)
		wantOK(t, err, "ReadJobLog "+id)
		if string(log) != id {
			t.Fatalf("job log of %q holds %q", id, log)
		}
		if _, err := s.GetStripeEvent(ctx, id); err != nil {
			t.Fatalf("GetStripeEvent(%q): %v", id, err)
		}
		sess := getSession(t, s, id)
		if sess.RevokedAt.IsZero() {
			t.Fatalf("session family %q was not revoked", id)
		}
		devices, err := s.ListDevices(ctx, id)
		wantOK(t, err, "ListDevices "+id)
		if len(devices) != 1 {
			t.Fatalf("ListDevices(%q) = %d", id, len(devices))
		}
		events := listAudit(t, s, launchpad.AuditFilter{Stream: id})
		if len(events) != 1 || launchpad.VerifyChain(nil, events) != nil {
			t.Fatalf("audit stream %q has %d events", id, len(events))
		}
	}
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply})
	wantOK(t, err, "ListJobs")
	if len(jobs) != len(hostileIDs) {
		t.Fatalf("%d jobs, want %d", len(jobs), len(hostileIDs))
	}
}
