package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// tenants is the tenant records' part of the keyed-record contract.
var tenants = keyed[launchpad.Tenant]{
	name: "Tenant", keyField: "AppName", keys: [2]string{"lp-a", "lp-b"},
	fresh:     func(appName string) *launchpad.Tenant { return newTenant(appName, "u1") },
	scribble:  func(tn *launchpad.Tenant) { tn.UserID, tn.MachineID, tn.MachineState = "u2", "scribbled", "x" },
	setKey:    func(tn *launchpad.Tenant, appName string) { tn.AppName = appName },
	updatedAt: func(tn *launchpad.Tenant) *time.Time { return &tn.UpdatedAt },
	counter:   func(tn *launchpad.Tenant) *int64 { return &tn.RebuildGeneration },
	create:    launchpad.Store.CreateTenant,
	get:       launchpad.Store.GetTenant,
	update:    launchpad.Store.UpdateTenant,
	remove:    launchpad.Store.DeleteTenant,
	list: func(s launchpad.Store, ctx context.Context) ([]*launchpad.Tenant, error) {
		return s.ListTenants(ctx, launchpad.TenantFilter{})
	},
}

func tenantCases() []testCase {
	return []testCase{
		{"tenant/create_get_list", testTenantCreateGetList},
		{"tenant/not_found", tenants.notFound},
		{"tenant/conflict", tenants.conflict},
		{"tenant/update", testTenantUpdate},
		{"tenant/update_rules", tenants.updateRules},
		{"tenant/update_concurrent_counter", tenants.updateConcurrent},
		{"tenant/delete", tenants.deleted},
		{"tenant/records_are_copies", tenants.copies},
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

func testTenantUpdate(t *testing.T, s launchpad.Store) {
	tenants.updated(t, s, func(tn *launchpad.Tenant) {
		tn.MachineState, tn.KeySource, tn.IPv6 = "stopped", launchpad.KeySourceBYOK, ""
	})
}
