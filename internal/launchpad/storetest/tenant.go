package storetest

import (
	"errors"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func tenantCases() []testCase {
	return []testCase{
		{"tenant/create_get_list", testTenantCreateGetList},
		{"tenant/not_found", testTenantNotFound},
		{"tenant/conflict", testTenantConflict},
		{"tenant/update", testTenantUpdate},
		{"tenant/update_rules", testTenantUpdateRules},
		{"tenant/update_concurrent_counter", testTenantUpdateConcurrent},
		{"tenant/delete", testTenantDelete},
		{"tenant/records_are_copies", testTenantCopies},
	}
}

func testTenantCreateGetList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for _, tn := range []*launchpad.Tenant{
		newTenant("lp-hermes-u2-b", "u2"),
		newTenant("lp-hermes-u1-c", "u1"),
		newTenant("lp-hermes-u1-a", "u1"),
	} {
		wantOK(t, s.CreateTenant(ctx, tn), "CreateTenant "+tn.AppName)
	}
	got, err := s.GetTenant(ctx, "lp-hermes-u1-c")
	wantOK(t, err, "GetTenant")
	wantEqual(t, "GetTenant", got, newTenant("lp-hermes-u1-c", "u1"))

	list, err := s.ListTenants(ctx, launchpad.TenantFilter{UserID: "u1"})
	wantOK(t, err, "ListTenants(u1)")
	wantEqual(t, "ListTenants(u1) ordered by app name", list, []*launchpad.Tenant{newTenant("lp-hermes-u1-a", "u1"), newTenant("lp-hermes-u1-c", "u1")})
	list, err = s.ListTenants(ctx, launchpad.TenantFilter{})
	wantOK(t, err, "ListTenants(all)")
	wantEqual(t, "ListTenants(all)", list, []*launchpad.Tenant{newTenant("lp-hermes-u1-a", "u1"), newTenant("lp-hermes-u1-c", "u1"), newTenant("lp-hermes-u2-b", "u2")})
	list, err = s.ListTenants(ctx, launchpad.TenantFilter{UserID: "nobody"})
	wantOK(t, err, "ListTenants(nobody)")
	if len(list) != 0 {
		t.Fatalf("ListTenants for a user without tenants returned %d", len(list))
	}
}

func testTenantNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetTenant(ctx, "lp-missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetTenant of a missing app")
	_, err = s.UpdateTenant(ctx, "lp-missing", func(*launchpad.Tenant) error { return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdateTenant of a missing app")
	wantCode(t, s.DeleteTenant(ctx, "lp-missing"), launchpad.ENOTFOUND, "DeleteTenant of a missing app")
}

func testTenantConflict(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-a", "u1")), "CreateTenant")
	wantCode(t, s.CreateTenant(ctx, newTenant("lp-a", "u2")), launchpad.ECONFLICT, "CreateTenant with a taken app name")
	got, err := s.GetTenant(ctx, "lp-a")
	wantOK(t, err, "GetTenant")
	wantEqual(t, "tenant after a refused duplicate", got, newTenant("lp-a", "u1"))
}

func testTenantUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-a", "u1")), "CreateTenant")
	got, err := s.UpdateTenant(ctx, "lp-a", func(tn *launchpad.Tenant) error {
		tn.MachineState = "stopped"
		tn.KeySource = launchpad.KeySourceBYOK
		tn.IPv6 = ""
		return nil
	})
	wantOK(t, err, "UpdateTenant")
	want := newTenant("lp-a", "u1")
	want.MachineState, want.KeySource, want.IPv6 = "stopped", launchpad.KeySourceBYOK, ""
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("UpdateTenant did not set UpdatedAt (still %s)", got.UpdatedAt)
	}
	want.UpdatedAt = got.UpdatedAt
	wantEqual(t, "UpdateTenant result", got, want)
	got, err = s.GetTenant(ctx, "lp-a")
	wantOK(t, err, "GetTenant")
	wantEqual(t, "GetTenant after UpdateTenant", got, want)
}

func testTenantUpdateRules(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-a", "u1")), "CreateTenant")
	sentinel := errors.New("caller says no")
	_, err := s.UpdateTenant(ctx, "lp-a", func(tn *launchpad.Tenant) error { tn.MachineState = "x"; return sentinel })
	if !errors.Is(err, sentinel) {
		t.Fatalf("UpdateTenant returned %v, want fn's error", err)
	}
	_, err = s.UpdateTenant(ctx, "lp-a", func(tn *launchpad.Tenant) error { tn.AppName = "lp-b"; return nil })
	wantCode(t, err, launchpad.EINVALID, "UpdateTenant changing AppName")
	got, err := s.GetTenant(ctx, "lp-a")
	wantOK(t, err, "GetTenant")
	wantEqual(t, "tenant after refused updates", got, newTenant("lp-a", "u1"))
	_, err = s.GetTenant(ctx, "lp-b")
	wantCode(t, err, launchpad.ENOTFOUND, "the app name an update tried to move to")
}

func testTenantUpdateConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	tn := newTenant("lp-a", "u1")
	tn.RebuildGeneration = 0
	wantOK(t, s.CreateTenant(ctx, tn), "CreateTenant")
	Race(concurrency, func(i int) {
		if _, err := s.UpdateTenant(ctx, "lp-a", func(tn *launchpad.Tenant) error { tn.RebuildGeneration++; return nil }); err != nil {
			t.Errorf("UpdateTenant #%d: %v", i, err)
		}
	})
	got, err := s.GetTenant(ctx, "lp-a")
	wantOK(t, err, "GetTenant")
	if got.RebuildGeneration != concurrency {
		t.Fatalf("counter is %d after %d concurrent increments", got.RebuildGeneration, concurrency)
	}
}

func testTenantDelete(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-a", "u1")), "CreateTenant a")
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-b", "u1")), "CreateTenant b")
	wantOK(t, s.DeleteTenant(ctx, "lp-a"), "DeleteTenant")
	_, err := s.GetTenant(ctx, "lp-a")
	wantCode(t, err, launchpad.ENOTFOUND, "GetTenant after DeleteTenant")
	wantCode(t, s.DeleteTenant(ctx, "lp-a"), launchpad.ENOTFOUND, "DeleteTenant twice")
	list, err := s.ListTenants(ctx, launchpad.TenantFilter{UserID: "u1"})
	wantOK(t, err, "ListTenants")
	wantEqual(t, "tenants left", list, []*launchpad.Tenant{newTenant("lp-b", "u1")})
	wantOK(t, s.CreateTenant(ctx, newTenant("lp-a", "u2")), "CreateTenant with the freed app name")
}

func testTenantCopies(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	in := newTenant("lp-a", "u1")
	wantOK(t, s.CreateTenant(ctx, in), "CreateTenant")
	in.MachineID = "scribbled"
	got, err := s.GetTenant(ctx, "lp-a")
	wantOK(t, err, "GetTenant")
	wantEqual(t, "tenant after mutating CreateTenant's argument", got, newTenant("lp-a", "u1"))
	got.MachineID = "scribbled"
	list, err := s.ListTenants(ctx, launchpad.TenantFilter{})
	wantOK(t, err, "ListTenants")
	wantEqual(t, "tenant after mutating GetTenant's result", list, []*launchpad.Tenant{newTenant("lp-a", "u1")})
}
