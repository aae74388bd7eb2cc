package tenant_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// subKeyOf is the plaintext of userID's sub-key in these tests.
func subKeyOf(userID string) string { return "sk-or-v1-" + userID + "-0001" }

// start creates and saves userID's tenant on the starter plan, running on its sub-key, as a
// first apply would, and returns it with the sub-key's hash.
func start(t *testing.T, w *tenanttest.World, svc *tenant.Service, userID string) (*tenant.Boundary, string) {
	t.Helper()
	ctx := context.Background()
	hash := w.GiveSubKey(t, userID, subKeyOf(userID))
	key, err := svc.ResolveKey(ctx, userID, hash, w.Starter)
	if err != nil {
		t.Fatalf("resolve key: %v", err)
	}
	b, err := svc.Create(ctx, w.Want(userID), w.Starter, key)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := svc.Save(ctx, b.Tenant); err != nil {
		t.Fatalf("save: %v", err)
	}
	return b, hash
}

// alice starts a world and alice01's tenant in it.
func alice(t *testing.T) (*tenanttest.World, *tenant.Service, *tenant.Boundary, string) {
	t.Helper()
	w := tenanttest.New(t)
	svc := w.Tenants()
	b, hash := start(t, w, svc, "alice01")
	return w, svc, b, hash
}

// refresh observes a copy of the tenant recorded in b, as a plan's refresh does.
func refresh(t *testing.T, svc *tenant.Service, b *tenant.Boundary) *tenant.Boundary {
	t.Helper()
	rec := *b.Tenant
	found, err := svc.Observe(context.Background(), &rec)
	if err != nil {
		t.Fatalf("observe %s: %v", rec.AppName, err)
	}
	return found
}

// appliedSettings are the settings start's tenant was applied with.
func appliedSettings(b *tenant.Boundary) tenant.Settings {
	t := b.Tenant
	return tenant.Settings{Plan: t.Plan, Image: t.Image, SubKeyHash: t.SubKeyHash, RebuildGeneration: t.RebuildGeneration}
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if launchpad.ErrorCode(err) != code {
		t.Fatalf("err = %v (%s), want %s", err, launchpad.ErrorCode(err), code)
	}
}
