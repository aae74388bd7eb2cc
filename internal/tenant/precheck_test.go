package tenant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// A running tenant occupies its user's product; one whose app was deleted outside Launchpad,
// or another product, does not.
func TestOccupant(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	got, err := svc.Occupant(ctx, "alice01", "hermes")
	if err != nil || got == nil || got.AppName != b.Tenant.AppName {
		t.Fatalf("Occupant = %+v, %v; want alice's tenant %s", got, err, b.Tenant.AppName)
	}
	if got, err := svc.Occupant(ctx, "alice01", "openclaw"); err != nil || got != nil {
		t.Fatalf("another product: %+v, %v; want none", got, err)
	}
	if err := w.Runtime.DeleteApp(ctx, b.Tenant.AppName); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Occupant(ctx, "alice01", "hermes"); err != nil || got != nil {
		t.Fatalf("a tenant whose app is gone: %+v, %v; want none (the apply replaces the record)", got, err)
	}
}

// The key check passes with the secret the key was sealed under, or that secret as the
// previous one, and names both key ids and the variables to set otherwise.
func TestCheckKeyOpens(t *testing.T) {
	ctx := context.Background()
	w, _, _, _ := alice(t)
	check := func(current, previous string) error {
		kr, err := envelope.NewKeyring(current, previous)
		if err != nil {
			t.Fatal(err)
		}
		svc := tenant.NewService(tenant.Config{Store: w.Store, Runtime: w.Runtime, Keyring: kr, Org: tenanttest.Org})
		return svc.CheckKeyOpens(ctx, "alice01", launchpad.KeySourceSubKey)
	}
	other := strings.Repeat("another-platform-secret-", 2)
	if err := check(tenanttest.Secret, ""); err != nil {
		t.Fatalf("the sealing secret: %v", err)
	}
	if err := check(other, tenanttest.Secret); err != nil {
		t.Fatalf("the sealing secret as the previous one: %v", err)
	}
	err := check(other, "")
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "PLATFORM_SECRET_PREVIOUS") || !strings.Contains(err.Error(), w.Keyring.CurrentKeyID()) {
		t.Fatalf("another secret: %v; want EINVALID naming the sealing key id and the variables", err)
	}
	if err := check(other, ""); err != nil && strings.Contains(err.Error(), "sk-") {
		t.Fatalf("the error shows key material: %v", err)
	}
}

// restore_from must name a tenant app of the same user and product that still exists.
func TestCheckRestoreTarget(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	app := b.Tenant.AppName
	if err := svc.CheckRestoreTarget(ctx, app, "alice01", "hermes"); err != nil {
		t.Fatalf("alice's own app: %v", err)
	}
	for _, c := range []struct{ name, app, user, product, want string }{
		{"not an app name", "my-app", "alice01", "hermes", ""},
		{"another user's", app, "bobby001", "hermes", "not a hermes tenant of user bobby001"},
		{"another product's", app, "alice01", "openclaw", "not a openclaw tenant"},
	} {
		err := svc.CheckRestoreTarget(ctx, c.app, c.user, c.product)
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want EINVALID containing %q", c.name, err, c.want)
		}
	}
	if err := w.Runtime.DeleteApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := svc.CheckRestoreTarget(ctx, app, "alice01", "hermes"); launchpad.ErrorCode(err) != launchpad.ENOTFOUND || !strings.Contains(err.Error(), "Remove restore_from") {
		t.Fatalf("a deleted app: %v; want ENOTFOUND saying to remove restore_from", err)
	}
}

func TestWorkspaceFate(t *testing.T) {
	if got := tenant.WorkspaceFate(0); got != "deleted" {
		t.Errorf("no retention: %q", got)
	}
	if got := tenant.WorkspaceFateDetail("Destroying", "lp-a", "vol_1", 7); !strings.Contains(got, "snapshot for 7 days") || !strings.Contains(got, "restore_from") {
		t.Errorf("with retention: %q", got)
	}
	if got := tenant.WorkspaceFateDetail("Destroying", "lp-a", "vol_1", 0); !strings.Contains(got, "no copy") || !strings.Contains(got, "deletion_protection") {
		t.Errorf("without retention: %q", got)
	}
}

// A reset's notice names the volume and how long its snapshot is kept: the tenant's retention,
// or the default when it sets none.
func TestResetNotice(t *testing.T) {
	for days, want := range map[int64]string{0: "kept 7 days", 12: "kept 12 days"} {
		got := tenant.ResetNotice("lp-a", "vol_1", days)
		if !strings.Contains(got, want) || !strings.Contains(got, "vol_1") || !strings.Contains(got, "restore_from") {
			t.Errorf("retention %d: %q, want it to say %q and name vol_1 and restore_from", days, got, want)
		}
	}
}
