package launchpad

import (
	"context"
	"strings"
	"time"
)

// ReplacePlan overwrites the stored plan p.Name with p, keeping when it was created. When
// what the plan's tenants run changed (machine size, volume, hour cap, spend limit, pooled
// key), it also records a proposed rollout of the plan and the step that brings it to the
// control plane, which starts it, keeps it for an operator, or drops it
// (LAUNCHPAD_AUTO_ROLLOUT). The plan is stored first: proposal is the rollout proposed (nil
// when nothing the tenants run changed). When the plan is stored but the proposal could not
// be recorded, stored is returned with a *ProposalError.
func ReplacePlan(ctx context.Context, st Store, p *Plan) (stored *Plan, proposal *Rollout, err error) {
	var changed []string
	var before PlanDefinition
	stored, err = st.UpdatePlan(ctx, p.Name, func(rec *Plan) error {
		changed, before = definitionChanges(rec, p), rec.Definition()
		created := rec.CreatedAt
		*rec = *p
		rec.CreatedAt = created
		return nil
	})
	if err != nil || len(changed) == 0 {
		return stored, nil, err
	}
	proposal, err = ProposePlanRollout(ctx, st, p.Name, "plan "+p.Name+" changed in terraform apply ("+strings.Join(changed, ", ")+")", before, p.Definition())
	if err != nil {
		return stored, proposal, &ProposalError{Plan: p.Name, Err: err}
	}
	return stored, proposal, nil
}

// ProposalError: the plan was stored, but the rollout of its change was not proposed; its
// tenants get the change on their next apply, or through a rollout an operator starts.
type ProposalError struct {
	Plan string
	Err  error
}

func (e *ProposalError) Error() string {
	return "plan " + e.Plan + " is stored, but the rollout of its change could not be proposed (" + ErrorMessage(e.Err) +
		"); start one with `terraform-provider-launchpad rollout start -plan " + e.Plan + "`"
}

func (e *ProposalError) Unwrap() error { return e.Err }

// definitionChanges names the fields of what the plan's tenants run that differ.
func definitionChanges(old, p *Plan) []string {
	var out []string
	if old.Guest != p.Guest {
		out = append(out, "guest")
	}
	if old.VolumeSizeGB != p.VolumeSizeGB {
		out = append(out, "volume_size_gb")
	}
	if old.MachineHoursPerCycle != p.MachineHoursPerCycle {
		out = append(out, "machine_hours_per_cycle")
	}
	if old.MonthlySpendLimitUSD != p.MonthlySpendLimitUSD {
		out = append(out, "monthly_spend_limit_usd")
	}
	if old.AllowPooledKey != p.AllowPooledKey {
		out = append(out, "allow_pooled_key")
	}
	return out
}

// ProposePlanRollout records a proposed rollout of plan (its tenants picked when it starts)
// from definition before to after, and enqueues its step, through which the control plane
// learns of it. An abort of the rollout puts before back.
func ProposePlanRollout(ctx context.Context, st Store, plan, reason string, before, after PlanDefinition) (*Rollout, error) {
	r := &Rollout{
		ID: "ro_" + NewID(16), State: RolloutProposed, Plan: plan, Unselected: true, PlanBefore: &before, PlanAfter: &after,
		Policy: RolloutPolicy{}.WithDefaults(), Reason: reason, CreatedBy: ActorTerraform,
	}
	if err := st.CreateRollout(ctx, r); err != nil {
		return nil, err
	}
	if _, err := st.EnqueueJob(ctx, RolloutStepJob(r.ID, time.Time{})); err != nil {
		return r, err
	}
	return r, nil
}

// RemovePlan deletes a plan that no tenant or sub-key is on; one already gone is fine. A plan
// in use is ECONFLICT, naming its users (PlanUsers): the control plane and the next apply of
// those users need it.
func RemovePlan(ctx context.Context, st Store, name string) error {
	users, err := PlanUsers(ctx, st, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return Errorf(ECONFLICT, "Plan %q is still used by %s. Move them to another plan or destroy them first; "+
			"referencing the plan as launchpad_plan.<name>.name lets Terraform order this for you.", name, strings.Join(users, ", "))
	}
	if err := st.DeletePlan(ctx, name); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}
