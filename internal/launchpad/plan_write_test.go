package launchpad_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// planStore is listingStore with one plan that can be replaced and deleted.
type planStore struct {
	listingStore
	plan    *launchpad.Plan
	deletes int
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
	got, err := launchpad.ReplacePlan(ctx, st, &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: 50})
	if err != nil || got.MonthlySpendLimitUSD != 50 || !got.CreatedAt.Equal(created) {
		t.Errorf("ReplacePlan = %+v, %v; want the new limit, created as before", got, err)
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
