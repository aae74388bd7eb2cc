package rollout

import (
	"context"
	"slices"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Start validates req, picks its tenants in waves and starts the rollout: 202-worthy once
// stored, its first step enqueued. A request that selects no tenant completes at once (an
// image rollout still becomes the fleet's image, for tenants created later).
func (e *Engine) Start(ctx context.Context, req Request, actor string) (*launchpad.Rollout, error) {
	r, err := e.build(ctx, req, actor)
	if err != nil {
		return nil, err
	}
	r.State = launchpad.RolloutRunning
	if len(r.Tenants) == 0 {
		r.State = launchpad.RolloutCompleted
		r.Reason = "no tenant matched the selection"
	}
	if err := e.cfg.Store.CreateRollout(ctx, r); err != nil {
		return nil, err
	}
	e.audit(ctx, launchpad.PlatformStream, actor, launchpad.AuditRolloutStarted, r.ID, rolloutDetails(r, nil))
	if r.State == launchpad.RolloutCompleted {
		return r, e.complete(ctx, r)
	}
	if err := e.enqueueStep(ctx, r.ID, timeZero); err != nil {
		return nil, launchpad.Wrapf(err, "rollout %s is stored, but its first step was not enqueued; POST /api/admin/rollouts/%s/resume after pausing it, or restart serve", r.ID, r.ID)
	}
	e.cfg.Logger.Info("rollout started", "rollout", r.ID, "image", r.Image, "plan", r.Plan, "tenants", len(r.Tenants), "actor", actor)
	return r, nil
}

// Propose stores req as a proposed rollout, which changes nothing until an operator starts
// it (resume); reason says where it came from.
func (e *Engine) Propose(ctx context.Context, req Request, actor, reason string) (*launchpad.Rollout, error) {
	r, err := e.build(ctx, req, actor)
	if err != nil {
		return nil, err
	}
	r.State, r.Reason = launchpad.RolloutProposed, reason
	if err := e.cfg.Store.CreateRollout(ctx, r); err != nil {
		return nil, err
	}
	e.audit(ctx, launchpad.PlatformStream, actor, launchpad.AuditRolloutProposed, r.ID, rolloutDetails(r, nil))
	return r, nil
}

// build validates req and returns the rollout it asks for, its tenants picked, not stored.
func (e *Engine) build(ctx context.Context, req Request, actor string) (*launchpad.Rollout, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	policy, err := req.policy()
	if err != nil {
		return nil, err
	}
	var before, after *launchpad.PlanDefinition
	if req.Plan != "" {
		p, err := e.cfg.Store.GetPlan(ctx, req.Plan)
		if launchpad.IsNotFound(err) {
			return nil, launchpad.Errorf(launchpad.EINVALID, "plan: there is no plan %q; name a launchpad_plan that exists", req.Plan)
		} else if err != nil {
			return nil, err
		}
		def := p.Definition()
		after = &def
		if before, err = e.definitionBefore(ctx, req.Plan, def); err != nil {
			return nil, err
		}
	}
	tenants, err := e.selectTenants(ctx, req)
	if err != nil {
		return nil, err
	}
	assignWaves(tenants, policy)
	return &launchpad.Rollout{
		ID: "ro_" + launchpad.NewID(16), Image: req.Image, Plan: req.Plan, PlanBefore: before, PlanAfter: after,
		Selection: launchpad.RolloutSelection{Plans: req.Plans, UserIDs: req.UserIDs},
		Policy:    policy, Tenants: tenants, CreatedBy: actor, CreatedAt: e.cfg.Now(),
	}, nil
}

// definitionBefore is the definition plan had before the edit that made it current: the one
// the newest proposal of that edit recorded, nil when no stored rollout knows it.
func (e *Engine) definitionBefore(ctx context.Context, plan string, current launchpad.PlanDefinition) (*launchpad.PlanDefinition, error) {
	rs, err := e.cfg.Store.ListRollouts(ctx, 100)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.Plan == plan && r.PlanBefore != nil && r.PlanAfter != nil && *r.PlanAfter == current {
			return r.PlanBefore, nil
		}
	}
	return nil, nil
}

// selectTenants lists the tenants req reaches, ordered by user id: each user's tenant whose
// desired state is a running tenant on a selected plan. An image rollout leaves out tenants
// whose customer chose their own image at checkout. A listed user id that has no such
// tenant is EINVALID, naming it.
func (e *Engine) selectTenants(ctx context.Context, req Request) ([]launchpad.RolloutTenant, error) {
	all, err := e.cfg.Store.ListTenants(ctx, launchpad.TenantFilter{})
	if err != nil {
		return nil, err
	}
	byUser := map[string]*launchpad.Tenant{}
	for _, t := range all {
		if _, seen := byUser[t.UserID]; !seen {
			byUser[t.UserID] = t
		}
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	slices.Sort(users)
	var out []launchpad.RolloutTenant
	for _, id := range users {
		u, err := e.cfg.Store.GetUser(ctx, id)
		if launchpad.IsNotFound(err) {
			continue
		} else if err != nil {
			return nil, err
		}
		d, err := e.cfg.Desired(u)
		if err != nil || d.Destroy || !req.selects(id, d.Plan) || (req.Image != "" && d.Image != "") {
			continue
		}
		t := byUser[id]
		out = append(out, launchpad.RolloutTenant{UserID: id, AppName: t.AppName, Status: launchpad.TenantPending, PreviousImage: t.Image})
	}
	var missing []string
	for _, id := range req.UserIDs {
		if !slices.ContainsFunc(out, func(t launchpad.RolloutTenant) bool { return t.UserID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "user_ids: %s %s no running tenant this rollout can change (no tenant, no running subscription, another plan, or an image of their own); leave them out",
			strings.Join(missing, ", "), map[bool]string{true: "has", false: "have"}[len(missing) == 1])
	}
	return out, nil
}

// assignWaves puts the first Canary tenants in wave 0 and the rest in batches of BatchSize.
func assignWaves(ts []launchpad.RolloutTenant, p launchpad.RolloutPolicy) {
	for i := range ts {
		switch {
		case i < p.Canary:
			ts[i].Wave = 0
		default:
			ts[i].Wave = 1 + (i-p.Canary)/p.BatchSize
		}
	}
}
