package tenant_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// importTenant does what a refresh after terraform import does: adopt the record, observe the
// parts, and fill what is still missing from the machine.
func importTenant(t *testing.T, svc *tenant.Service, appName string) *tenant.Boundary {
	t.Helper()
	tn, err := svc.Adopt(context.Background(), appName)
	if err != nil {
		t.Fatalf("adopt %s: %v", appName, err)
	}
	b, err := svc.Observe(context.Background(), tn)
	if err != nil {
		t.Fatalf("observe %s: %v", appName, err)
	}
	b.AdoptMachine()
	return b
}

func TestImportWithAStoreRecordTakesTheRecord(t *testing.T) {
	w, svc, made, hash := alice(t)
	got := importTenant(t, svc, made.Tenant.AppName)
	tn := got.Tenant
	if tn.UserID != "alice01" || tn.Plan != "starter" || tn.SubKeyHash != hash || tn.KeySource != launchpad.KeySourceSubKey ||
		tn.MachineID != made.Tenant.MachineID || tn.VolumeID != made.Tenant.VolumeID || tn.IPv4 != made.Tenant.IPv4 ||
		got.VolumeSizeGB != 5 || got.Guest != w.Starter.Guest {
		t.Errorf("imported %+v (%d GB, %+v), want what was made: %+v", tn, got.VolumeSizeGB, got.Guest, made.Tenant)
	}
}

// A tenant made elsewhere, with no record in this store, is importable: the app name says the
// product and the machine's metadata whose it is.
func TestImportWithoutAStoreRecordReadsTheMachine(t *testing.T) {
	ctx := context.Background()
	w, svc, made, _ := alice(t)
	want := tenant.Change{Plan: w.Starter, Image: tenanttest.Image, RebuildGeneration: 3, SubKeyHash: made.Tenant.SubKeyHash}
	if _, err := svc.Reconcile(ctx, made, want); err != nil {
		t.Fatal(err)
	}
	must(t, svc.Forget(ctx, made.Tenant.AppName))

	got := importTenant(t, svc, made.Tenant.AppName)
	tn := got.Tenant
	if tn.UserID != "alice01" || tn.Product != "hermes" || tn.Plan != "starter" || tn.RebuildGeneration != 3 ||
		tn.Region != "iad" || tn.Image != tenanttest.Image || tn.Network != made.Tenant.AppName || tn.MachineID == "" {
		t.Errorf("imported %+v, want alice01's hermes tenant on starter, generation 3, from its machine", tn)
	}
}

func TestImportOfAMalformedNameIsRefused(t *testing.T) {
	w := tenanttest.New(t)
	_, err := w.Tenants().Adopt(context.Background(), "lp-hermes-alice01-!!")
	mustCode(t, err, launchpad.EINVALID)
}

func TestImportOfAnAppThatIsGoneIsNotFound(t *testing.T) {
	w := tenanttest.New(t)
	svc := w.Tenants()
	name, _ := launchpad.AppName("hermes", "alice01", w.Clock.Now())
	tn, err := svc.Adopt(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Observe(context.Background(), tn)
	mustCode(t, err, launchpad.ENOTFOUND)
}
