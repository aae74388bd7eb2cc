package rollout

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// restorePlan puts the plan an aborted plan rollout carried back on the definition it had
// before (PlanBefore), so the rollback applies of the tenants the rollout changed — which
// read the plan's definition from the store — run what those tenants ran before, and the
// plan's other tenants, never reached, stay consistent with it. It answers "" when the plan
// holds PlanBefore (now or already), else why the tenants cannot be put back: the previous
// definition is unknown, or the plan was edited again since (that newer edit is kept).
func (e *Engine) restorePlan(ctx context.Context, r *launchpad.Rollout) (string, error) {
	if r.PlanBefore == nil || r.PlanAfter == nil {
		return "the plan's definition before this rollout is unknown (it was started by hand, with no proposal of the plan's edit); revert the plan in your configuration and roll it out again", nil
	}
	restored := false
	_, err := e.cfg.Store.UpdatePlan(ctx, r.Plan, func(p *launchpad.Plan) error {
		restored = false
		switch p.Definition() {
		case *r.PlanBefore:
			return nil
		case *r.PlanAfter:
			p.SetDefinition(*r.PlanBefore)
			restored = true
			return nil
		}
		return launchpad.Errorf(launchpad.ECONFLICT, "plan %s was edited again since this rollout started", r.Plan)
	})
	switch {
	case launchpad.IsConflict(err), launchpad.IsNotFound(err):
		return launchpad.ErrorMessage(err) + "; its newest definition is kept: roll it out, or revert it in your configuration", nil
	case err != nil:
		return "", err
	}
	if restored {
		e.cfg.Logger.Warn("an aborted plan rollout put the plan's previous definition back; the operator's configuration still holds the new one until it is reverted there",
			"rollout", r.ID, "plan", r.Plan)
	}
	return "", nil
}
