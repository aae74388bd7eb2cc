package runner

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// A run killed between the provider's claim of a tenant and the tenant's machine leaves a
// record with no machine. That is not an orphan to import (its app may not exist yet, and an
// import of it fails): the provider's create resumes it under the same name. A record whose
// machine exists is imported.
func TestFindOrphansLeavesClaimsToTheProviderAndImportsBuiltTenants(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	app, err := launchpad.AppName("hermes", "carol03", now)
	if err != nil {
		t.Fatal(err)
	}
	claim := &launchpad.Tenant{AppName: app, UserID: "carol03", Product: "hermes", Region: "iad", Plan: "starter",
		Image: "registry.fly.io/hermes-agent:1.4.2", Network: app, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateTenant(t.Context(), claim); err != nil {
		t.Fatal(err)
	}
	want := launchpad.ApplyRequest{UserID: "carol03", Plan: "starter", Product: "hermes", Region: "iad"}

	orphans, _, err := findOrphans(t.Context(), st, want, []byte(`{"resources":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 0 {
		t.Fatalf("a claim with no machine was taken for an orphan to import: %+v", orphans)
	}

	if _, err := st.UpdateTenant(t.Context(), app, func(t *launchpad.Tenant) error {
		t.MachineID = "3d8d9d4c1e6e89"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	orphans, _, err = findOrphans(t.Context(), st, want, []byte(`{"resources":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 1 || orphans[0] != (orphan{address: "launchpad_tenant.this", id: app}) {
		t.Fatalf("orphans of a built tenant missing from the state: %+v; want launchpad_tenant.this %s", orphans, app)
	}

	inState := []byte(`{"resources":[{"mode":"managed","type":"launchpad_tenant","name":"this","instances":[{}]}]}`)
	if orphans, _, err = findOrphans(t.Context(), st, want, inState); err != nil || len(orphans) != 0 {
		t.Fatalf("a tenant the state holds was taken for an orphan: %+v, %v", orphans, err)
	}
}
