package tenant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// Provision stores a BYOK key first and runs the tenant on it, records the tenant, and
// names the step that fails: no key, or a second tenant of the product.
func TestProvisionNamesTheStepThatFails(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	svc := w.Tenants()

	b, step, err := svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter})
	if err == nil || step != tenant.StepKey || b != nil {
		t.Fatalf("no key: %v, %q, %v; want the key step to fail with nothing made", b, step, err)
	}

	byok := "sk-or-v1-byok-of-bob-0123456789abcdef"
	b, step, err = svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter, BYOKKey: &byok})
	if err != nil || step != "" {
		t.Fatalf("provision: %q, %v", step, err)
	}
	if b.Tenant.KeySource != launchpad.KeySourceBYOK {
		t.Errorf("key source %s, want byok", b.Tenant.KeySource)
	}
	if rec, err := w.Store.GetTenant(ctx, b.Tenant.AppName); err != nil || rec.MachineID != b.Tenant.MachineID {
		t.Fatalf("record %+v, %v; want the tenant recorded", rec, err)
	}

	again, step, err := svc.Provision(ctx, tenant.Request{Tenant: w.Want("bob01"), Plan: w.Starter, BYOKKey: &byok})
	if step != tenant.StepClaim || again != nil {
		t.Fatalf("second tenant: %v, %q, %v; want the claim refused with nothing made", again, step, err)
	}
	mustCode(t, err, launchpad.ECONFLICT)
}

// Update stores a changed BYOK key, reconciles onto it and records the result; Destroy
// with a retention keeps the workspace, says where, and forgets the record.
func TestUpdateThenDestroyKeepingTheWorkspace(t *testing.T) {
	ctx := context.Background()
	w, svc, b, hash := alice(t)
	byok := "sk-or-v1-byok-of-alice-0123456789abcdef"
	after, step, err := svc.Update(ctx, refresh(t, svc, b), tenant.Change{Plan: w.Pro, Image: tenanttest.Image, SubKeyHash: hash,
		BYOKKeyChanged: true}, byok)
	if err != nil || step != "" {
		t.Fatalf("update: %q, %v", step, err)
	}
	if after.Tenant.KeySource != launchpad.KeySourceBYOK || after.Tenant.Plan != w.Pro.Name || after.Guest != w.Pro.Guest {
		t.Errorf("after the update: %+v on %+v, want pro's size on the BYOK key", after.Tenant, after.Guest)
	}
	if rec, err := w.Store.GetTenant(ctx, after.Tenant.AppName); err != nil || rec.Plan != w.Pro.Name {
		t.Fatalf("record %+v, %v; want it on pro", rec, err)
	}

	kept, step, err := svc.Destroy(ctx, after.Tenant, 7)
	if err != nil || step != "" || kept == nil {
		t.Fatalf("destroy: %+v, %q, %v; want the workspace kept", kept, step, err)
	}
	if _, err := w.Store.GetTenant(ctx, after.Tenant.AppName); !launchpad.IsNotFound(err) {
		t.Errorf("record after the destroy: %v, want it gone", err)
	}
	if d := kept.Details(); d["retained_snapshot"] != kept.SnapshotID || d["retained_app"] != after.Tenant.AppName {
		t.Errorf("audit details %v", d)
	}
	if n := kept.Notice(after.Tenant); !strings.Contains(n, kept.SnapshotID) || !strings.Contains(n, "restore_from") {
		t.Errorf("notice %q, want the snapshot and how to restore it", n)
	}
}

// Destroy without a retention tears everything down; a destroy that runs again finds
// nothing left and succeeds.
func TestDestroyTearsDownAndRunsAgain(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	for range 2 {
		if kept, step, err := svc.Destroy(ctx, b.Tenant, 0); err != nil || kept != nil || step != "" {
			t.Fatalf("destroy: %+v, %q, %v", kept, step, err)
		}
	}
	if app := w.App(b.Tenant.AppName); app != nil {
		t.Errorf("app %+v after the destroy, want it deleted", app)
	}
}

// Lookup finds a tenant by its app, or by its user and product, and says what it did not find.
func TestLookupNamesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	_, svc, b, _ := alice(t)
	for _, by := range [][3]string{{b.Tenant.AppName, "", ""}, {"", "alice01", "hermes"}} {
		if got, err := svc.Lookup(ctx, by[0], by[1], by[2]); err != nil || got.AppName != b.Tenant.AppName {
			t.Errorf("Lookup%v = %+v, %v", by, got, err)
		}
	}
	if _, err := svc.Lookup(ctx, "lp-hermes-nobody01-sxyz12", "", ""); launchpad.ErrorMessage(err) != `No tenant "lp-hermes-nobody01-sxyz12" is in the Launchpad store.` {
		t.Errorf("by a missing app: %v", err)
	}
	if _, err := svc.Lookup(ctx, "", "alice01", "openclaw"); launchpad.ErrorMessage(err) != "User alice01 has no openclaw tenant in the Launchpad store." {
		t.Errorf("by a missing product: %v", err)
	}
}

// CheckNoTenant refuses a second tenant of a product, unless the run replaces the first.
func TestCheckNoTenantUnlessReplaced(t *testing.T) {
	ctx := context.Background()
	_, svc, b, _ := alice(t)
	never := func(string) bool { return false }
	err := svc.CheckNoTenant(ctx, "alice01", "hermes", never)
	mustCode(t, err, launchpad.ECONFLICT)
	if !strings.Contains(launchpad.ErrorMessage(err), "terraform import launchpad_tenant.<name> "+b.Tenant.AppName) {
		t.Errorf("message %q, want how to import %s", launchpad.ErrorMessage(err), b.Tenant.AppName)
	}
	if err := svc.CheckNoTenant(ctx, "alice01", "hermes", func(app string) bool { return app == b.Tenant.AppName }); err != nil {
		t.Errorf("replaced in this run: %v", err)
	}
	if err := svc.CheckNoTenant(ctx, "alice01", "openclaw", never); err != nil {
		t.Errorf("another product: %v", err)
	}
}
