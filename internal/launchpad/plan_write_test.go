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
