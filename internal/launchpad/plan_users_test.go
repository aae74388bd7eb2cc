package launchpad_test

import (
	"context"
	"slices"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// listingStore answers the two listings PlanUsers makes; any other call panics.
type listingStore struct {
	launchpad.Store
	tenants []*launchpad.Tenant
	keys    []*launchpad.SubKey
}

func (s listingStore) ListTenants(context.Context, launchpad.TenantFilter) ([]*launchpad.Tenant, error) {
	return s.tenants, nil
}

func (s listingStore) ListSubKeys(context.Context, launchpad.SubKeyFilter) ([]*launchpad.SubKey, error) {
	return s.keys, nil
}

func TestPlanUsersNamesTheFirstFiveSorted(t *testing.T) {
	st := listingStore{
		tenants: []*launchpad.Tenant{{AppName: "lp-b", Plan: "pro"}, {AppName: "lp-a", Plan: "pro"}, {AppName: "lp-c", Plan: "starter"}},
		keys:    []*launchpad.SubKey{{Hash: "h2", Plan: "pro"}, {Hash: "h1", Plan: "pro"}, {Hash: "h3", Plan: "pro"}, {Hash: "h4", Plan: "pro"}},
	}
	got, err := launchpad.PlanUsers(context.Background(), st, "pro")
	want := []string{"sub-key h1", "sub-key h2", "sub-key h3", "sub-key h4", "tenant lp-a", "1 more"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("PlanUsers = %q, %v; want %q", got, err, want)
	}
	if got, _ := launchpad.PlanUsers(context.Background(), st, "team"); len(got) != 0 {
		t.Errorf("an unused plan: %q", got)
	}
}
