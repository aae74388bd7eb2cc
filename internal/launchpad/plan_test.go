package launchpad_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func validPlan() launchpad.Plan {
	return launchpad.Plan{
		Name:                 "pro",
		DisplayName:          "Pro",
		StripePriceID:        "price_1NxYzAbCdEfGh",
		MonthlySpendLimitUSD: 50,
		MachineHoursPerCycle: 200,
		Guest:                launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048},
		VolumeSizeGB:         10,
	}
}

func TestPlanValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(p *launchpad.Plan)
		wantErr string // a substring of the message; "" means valid
	}{
		{"valid", func(p *launchpad.Plan) {}, ""},
		{"no price id", func(p *launchpad.Plan) { p.StripePriceID = "" }, ""},
		{"name with digits and dashes", func(p *launchpad.Plan) { p.Name = "pro-2026-eu" }, ""},
		{"name of 40", func(p *launchpad.Plan) { p.Name = "p" + strings.Repeat("x", 39) }, ""},
		{"zero spend, hours", func(p *launchpad.Plan) { p.MonthlySpendLimitUSD, p.MachineHoursPerCycle = 0, 0 }, ""},
		{"largest spend, hours, volume", func(p *launchpad.Plan) {
			p.MonthlySpendLimitUSD, p.MachineHoursPerCycle, p.VolumeSizeGB = 100000, 744, 500
		}, ""},
		{"smallest volume", func(p *launchpad.Plan) { p.VolumeSizeGB = 1 }, ""},

		{"empty name", func(p *launchpad.Plan) { p.Name = "" }, "plan name"},
		{"upper-case name", func(p *launchpad.Plan) { p.Name = "Pro" }, "plan name"},
		{"name leading digit", func(p *launchpad.Plan) { p.Name = "1pro" }, "plan name"},
		{"name underscore", func(p *launchpad.Plan) { p.Name = "pro_eu" }, "plan name"},
		{"name of 41", func(p *launchpad.Plan) { p.Name = "p" + strings.Repeat("x", 40) }, "plan name"},
		{"product id as price id", func(p *launchpad.Plan) { p.StripePriceID = "prod_NxYz" }, "stripe_price_id"},
		{"bare price prefix", func(p *launchpad.Plan) { p.StripePriceID = "price_" }, "stripe_price_id"},
		{"price id with a dash", func(p *launchpad.Plan) { p.StripePriceID = "price_1Nx-Yz" }, "stripe_price_id"},
		{"negative spend", func(p *launchpad.Plan) { p.MonthlySpendLimitUSD = -0.01 }, "monthly_spend_limit_usd"},
		{"spend too high", func(p *launchpad.Plan) { p.MonthlySpendLimitUSD = 100000.01 }, "monthly_spend_limit_usd"},
		{"spend NaN", func(p *launchpad.Plan) { p.MonthlySpendLimitUSD = math.NaN() }, "monthly_spend_limit_usd"},
		{"spend infinite", func(p *launchpad.Plan) { p.MonthlySpendLimitUSD = math.Inf(1) }, "monthly_spend_limit_usd"},
		{"negative hours", func(p *launchpad.Plan) { p.MachineHoursPerCycle = -1 }, "machine_hours_per_cycle"},
		{"hours beyond a month", func(p *launchpad.Plan) { p.MachineHoursPerCycle = 745 }, "machine_hours_per_cycle"},
		{"no volume", func(p *launchpad.Plan) { p.VolumeSizeGB = 0 }, "volume_size_gb"},
		{"volume too big", func(p *launchpad.Plan) { p.VolumeSizeGB = 501 }, "volume_size_gb"},
		{"bad guest", func(p *launchpad.Plan) { p.Guest.CPUs = 3 }, "guest.cpus"},
		{"no guest", func(p *launchpad.Plan) { p.Guest = launchpad.Guest{} }, "guest.cpu_kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPlan()
			tc.change(&p)
			err := p.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			requireInvalid(t, err, tc.wantErr)
		})
	}
}

func TestGuestValidate(t *testing.T) {
	for _, tc := range []struct {
		guest   launchpad.Guest
		wantErr string // "" means valid
	}{
		{launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 256}, ""},
		{launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 2048}, ""},
		{launchpad.Guest{CPUKind: "shared", CPUs: 8, MemoryMB: 16384}, ""},
		{launchpad.Guest{CPUKind: "shared", CPUs: 6, MemoryMB: 1024}, ""},
		{launchpad.Guest{CPUKind: "performance", CPUs: 1, MemoryMB: 2048}, ""},
		{launchpad.Guest{CPUKind: "performance", CPUs: 1, MemoryMB: 8192}, ""},
		{launchpad.Guest{CPUKind: "performance", CPUs: 16, MemoryMB: 131072}, ""},

		{launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 128}, "guest.memory_mb"},
		{launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 2304}, "guest.memory_mb"},
		{launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 300}, "multiple of 256"},
		{launchpad.Guest{CPUKind: "shared", CPUs: 3, MemoryMB: 1024}, "guest.cpus"},
		{launchpad.Guest{CPUKind: "shared", CPUs: 16, MemoryMB: 1024}, "guest.cpus"},
		{launchpad.Guest{CPUKind: "shared", CPUs: 0, MemoryMB: 256}, "guest.cpus"},
		{launchpad.Guest{CPUKind: "performance", CPUs: 1, MemoryMB: 1792}, "guest.memory_mb"},
		{launchpad.Guest{CPUKind: "performance", CPUs: 2, MemoryMB: 16640}, "guest.memory_mb"},
		{launchpad.Guest{CPUKind: "performance", CPUs: 6, MemoryMB: 12288}, "guest.cpus"},
		{launchpad.Guest{CPUKind: "dedicated", CPUs: 1, MemoryMB: 256}, `"shared" or "performance"`},
		{launchpad.Guest{CPUKind: "Shared", CPUs: 1, MemoryMB: 256}, "guest.cpu_kind"},
		{launchpad.Guest{}, "guest.cpu_kind"},
	} {
		t.Run(fmt.Sprintf("%s %d cpu %d MB", tc.guest.CPUKind, tc.guest.CPUs, tc.guest.MemoryMB), func(t *testing.T) {
			err := tc.guest.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate(%+v): %v", tc.guest, err)
				}
				return
			}
			requireInvalid(t, err, tc.wantErr)
		})
	}
}

func TestCapsPlan(t *testing.T) {
	plans := map[string]*launchpad.Plan{"pro": {Name: "pro"}, "starter": {Name: "starter"}}
	find := func(name string) (*launchpad.Plan, error) {
		if p, ok := plans[name]; ok {
			return p, nil
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no plan %s", name)
	}
	cases := []struct {
		user, tenant string
		noTenant     bool
		want         string
	}{
		{user: "pro", tenant: "starter", want: "pro"},      // the user's plan wins
		{user: "gone", tenant: "starter", want: "starter"}, // a deleted plan: the tenant's caps
		{user: "", tenant: "starter", want: "starter"},     // no plan: the tenant's
		{user: "pro", noTenant: true, want: "pro"},         // no tenant yet
		{user: "gone", tenant: "also-gone", want: ""},      // neither stored
		{user: "", noTenant: true, want: ""},               // nothing at all
	}
	for _, c := range cases {
		var tn *launchpad.Tenant
		if !c.noTenant {
			tn = &launchpad.Tenant{Plan: c.tenant}
		}
		p, err := launchpad.CapsPlan(&launchpad.User{Plan: c.user}, tn, find)
		got := ""
		if p != nil {
			got = p.Name
		}
		if err != nil || got != c.want {
			t.Errorf("CapsPlan(user %q, tenant %q) = %q, %v; want %q", c.user, c.tenant, got, err, c.want)
		}
	}
	boom := launchpad.Errorf(launchpad.EUNAVAILABLE, "store down")
	if _, err := launchpad.CapsPlan(&launchpad.User{Plan: "pro"}, nil, func(string) (*launchpad.Plan, error) { return nil, boom }); err != boom {
		t.Errorf("a store failure is %v, want it returned", err)
	}
}

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

// planStore is listingStore with one plan that can be replaced and deleted.
type planStore struct {
	listingStore
	plan     *launchpad.Plan
	deletes  int
	rollouts []*launchpad.Rollout
	jobs     []*launchpad.Job
}

func (s *planStore) CreateRollout(_ context.Context, r *launchpad.Rollout) error {
	s.rollouts = append(s.rollouts, r)
	return nil
}

func (s *planStore) EnqueueJob(_ context.Context, j *launchpad.Job) (*launchpad.Job, error) {
	s.jobs = append(s.jobs, j)
	return j, nil
}

func (s *planStore) UpdatePlan(_ context.Context, _ string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	return s.plan, fn(s.plan)
}

func (s *planStore) DeletePlan(context.Context, string) error {
	s.deletes++
	return launchpad.Errorf(launchpad.ENOTFOUND, "plan gone")
}

func TestReplacePlanKeepsItsCreationAndRemovePlanRefusesAPlanInUse(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := &planStore{plan: &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: 10, CreatedAt: created}}
	got, proposal, err := launchpad.ReplacePlan(ctx, st, &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: 50})
	if err != nil || got.MonthlySpendLimitUSD != 50 || !got.CreatedAt.Equal(created) {
		t.Errorf("ReplacePlan = %+v, %v; want the new limit, created as before", got, err)
	}
	// The spend limit changed: a rollout of the plan is proposed, and its step enqueued.
	if proposal == nil || len(st.rollouts) != 1 || proposal.State != launchpad.RolloutProposed || proposal.Plan != "pro" || !proposal.Unselected ||
		proposal.CreatedBy != launchpad.ActorTerraform || proposal.Reason != "plan pro changed in terraform apply (monthly_spend_limit_usd)" {
		t.Fatalf("proposal = %+v (%d stored)", proposal, len(st.rollouts))
	}
	if len(st.jobs) != 1 || st.jobs[0].Kind != launchpad.JobRollout || st.jobs[0].Key != launchpad.RolloutStepKey(proposal.ID) {
		t.Fatalf("jobs enqueued = %+v, want the proposal's step", st.jobs)
	}
	// A new display name changes nothing the tenants run: nothing is proposed.
	if _, proposal, err = launchpad.ReplacePlan(ctx, st, &launchpad.Plan{Name: "pro", DisplayName: "Pro", MonthlySpendLimitUSD: 50}); err != nil || proposal != nil || len(st.rollouts) != 1 {
		t.Errorf("ReplacePlan of the display name = %+v, %v; want no proposal", proposal, err)
	}

	st.tenants = []*launchpad.Tenant{{AppName: "lp-a", Plan: "pro"}}
	err = launchpad.RemovePlan(ctx, st, "pro")
	if !launchpad.IsConflict(err) || launchpad.ErrorMessage(err) != `Plan "pro" is still used by tenant lp-a. Move them to another plan or destroy `+
		`them first; referencing the plan as launchpad_plan.<name>.name lets Terraform order this for you.` || st.deletes != 0 {
		t.Errorf("RemovePlan of a plan in use = %v (%d deletes)", err, st.deletes)
	}
	st.tenants = nil
	if err := launchpad.RemovePlan(ctx, st, "pro"); err != nil || st.deletes != 1 {
		t.Errorf("RemovePlan of a plan already gone = %v (%d deletes), want it fine", err, st.deletes)
	}
}
