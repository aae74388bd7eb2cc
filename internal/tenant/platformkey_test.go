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

// A BYOK key is sealed only under the store's platform key: a process with another secret is
// refused before it writes anything.
func TestStoreBYOKRefusesAnotherPlatformSecret(t *testing.T) {
	ctx := context.Background()
	w := tenanttest.New(t)
	if err := w.Tenants().StoreBYOK(ctx, "alice01", "sk-byok-alice"); err != nil {
		t.Fatal(err)
	}
	other, err := envelope.NewKeyring("another-platform-secret-0123456789abcdef", "")
	if err != nil {
		t.Fatal(err)
	}
	svc := tenant.NewService(tenant.Config{Store: w.Store, Runtime: w.Runtime, Keyring: other, Org: tenanttest.Org, Now: w.Clock.Now})
	err = svc.StoreBYOK(ctx, "bob02", "sk-byok-bob")
	mustCode(t, err, launchpad.EINVALID)
	if !strings.Contains(err.Error(), "PLATFORM_SECRET") {
		t.Errorf("err = %v, want it to name PLATFORM_SECRET", err)
	}
	if _, err := w.Store.GetUser(ctx, "bob02"); !launchpad.IsNotFound(err) {
		t.Errorf("bob02's record: %v, want none", err)
	}
}
