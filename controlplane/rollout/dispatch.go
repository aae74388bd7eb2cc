package rollout

import (
	"context"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// dispatch enqueues the applies of the current wave — the lowest wave with a tenant not yet
// done — while fewer than MaxParallel of the rollout's applies are in flight, and records
// them. A later wave starts only when every tenant of the earlier ones is done.
func (e *Engine) dispatch(ctx context.Context, r *launchpad.Rollout) (*launchpad.Rollout, error) {
	wave, inflight := -1, 0
	for _, t := range r.Tenants {
		if t.Status == launchpad.TenantPending || inFlight(t) {
			if wave == -1 || t.Wave < wave {
				wave = t.Wave
			}
		}
		if inFlight(t) {
			inflight++
		}
	}
	started := map[int]launchpad.RolloutTenant{}
	for i, t := range r.Tenants {
		if inflight >= r.Policy.MaxParallel {
			break
		}
		if t.Status != launchpad.TenantPending || t.Wave != wave {
			continue
		}
		id, err := e.enqueueApply(ctx, r, t, false)
		switch {
		case launchpad.ErrorCode(err) == launchpad.EINVALID || launchpad.IsNotFound(err):
			// The user has nothing to apply any more (the subscription ended, the user is
			// gone): nothing changed, and nothing will.
			t.Status, t.Error, t.DoneAt = launchpad.TenantFailed, "not applied: "+launchpad.ErrorMessage(err), e.cfg.Now()
		case err != nil:
			return r, err
		default:
			t.Status, t.Job = launchpad.TenantApplying, id
			inflight++
		}
		started[i] = t
	}
	if len(started) == 0 {
		return r, nil
	}
	out, err := e.record(ctx, r.ID, started, launchpad.TenantPending)
	if err != nil {
		return r, err
	}
	for _, t := range started {
		e.auditTenant(ctx, out, t)
	}
	return out, nil
}

// noRollback is the RollbackJob of a changed tenant that cannot be put back (its Error says why).
const noRollback = "-"

// rollback enqueues, for every tenant an aborted rollout changed whose apply is over, the
// apply that puts it back on its previous image.
func (e *Engine) rollback(ctx context.Context, r *launchpad.Rollout) (*launchpad.Rollout, error) {
	started := map[int]launchpad.RolloutTenant{}
	planBack := ""
	if r.Plan != "" && slices.ContainsFunc(r.Tenants, func(t launchpad.RolloutTenant) bool { return needsRollback(t) && !inFlight(t) }) {
		var err error
		if planBack, err = e.restorePlan(ctx, r); err != nil {
			return r, err
		}
	}
	for i, t := range r.Tenants {
		if !needsRollback(t) || inFlight(t) {
			continue
		}
		if planBack != "" && r.Image == "" {
			// Nothing this rollout changed can be put back: the tenant stays as it is.
			t.RollbackJob, t.Error = noRollback, "not rolled back: "+planBack
			started[i] = t
			continue
		}
		id, err := e.enqueueApply(ctx, r, t, true)
		switch {
		case launchpad.ErrorCode(err) == launchpad.EINVALID || launchpad.IsNotFound(err):
			t.RollbackJob, t.Error = noRollback, "not rolled back: "+launchpad.ErrorMessage(err)
		case err != nil:
			return r, err
		default:
			t.Status, t.RollbackJob = launchpad.TenantRollingBack, id
		}
		started[i] = t
	}
	if len(started) == 0 {
		return r, nil
	}
	out, err := e.cfg.Store.UpdateRollout(ctx, r.ID, func(cur *launchpad.Rollout) error {
		for i, t := range started {
			if i < len(cur.Tenants) && cur.Tenants[i].UserID == t.UserID && cur.Tenants[i].RollbackJob == "" {
				cur.Tenants[i] = t
			}
		}
		transition(cur)
		return nil
	})
	if err != nil {
		return r, err
	}
	for _, t := range started {
		e.auditTenant(ctx, out, t)
	}
	return out, nil
}

// record writes tenants that were in status was (and are still, in the stored rollout).
func (e *Engine) record(ctx context.Context, id string, ts map[int]launchpad.RolloutTenant, was string) (*launchpad.Rollout, error) {
	return e.cfg.Store.UpdateRollout(ctx, id, func(cur *launchpad.Rollout) error {
		for i, t := range ts {
			if i < len(cur.Tenants) && cur.Tenants[i].UserID == t.UserID && cur.Tenants[i].Status == was {
				cur.Tenants[i] = t
			}
		}
		return nil
	})
}

// enqueueApply enqueues the tenant's apply for the rollout (or, with back, the apply that
// undoes it) and returns its job id. An apply of this rollout already enqueued for the user —
// by a step that stopped before recording it — is returned instead: one apply per tenant
// and rollout.
func (e *Engine) enqueueApply(ctx context.Context, r *launchpad.Rollout, t launchpad.RolloutTenant, back bool) (string, error) {
	reason := launchpad.ReasonRollout
	if back {
		reason = launchpad.ReasonRollback
	}
	jobs, err := e.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply, Key: t.UserID, Limit: 50})
	if err != nil {
		return "", err
	}
	for _, j := range jobs {
		if j.Status == launchpad.JobSuperseded {
			continue
		}
		if d, err := launchpad.ParseApplyRequest(j.Payload); err == nil && d.Rollout == r.ID && d.Reason == reason {
			return j.ID, nil
		}
	}
	u, err := e.cfg.Store.GetUser(ctx, t.UserID)
	if err != nil {
		return "", err
	}
	d, err := e.cfg.Desired(u)
	if err != nil {
		return "", err
	}
	if d.Destroy {
		return "", launchpad.Errorf(launchpad.EINVALID, "user %s's tenant is due to be destroyed", t.UserID)
	}
	d.Rollout, d.Reason = r.ID, reason
	if r.Image != "" {
		d.Image = r.Image
		if back {
			d.Image = t.PreviousImage
		}
	}
	if err := d.Validate(); err != nil {
		return "", err
	}
	j, err := e.cfg.Store.EnqueueJob(ctx, &launchpad.Job{
		Kind: launchpad.JobApply, Key: t.UserID, Payload: d.Payload(), Supersede: true, MaxAttempts: e.cfg.ApplyMaxAttempts,
	})
	if err != nil {
		return "", err
	}
	e.cfg.Wake()
	return j.ID, nil
}

// auditTenant records a tenant's step in its user's own audit stream.
func (e *Engine) auditTenant(ctx context.Context, r *launchpad.Rollout, t launchpad.RolloutTenant) {
	d := map[string]string{"rollout": r.ID, "status": t.Status, "wave": itoa(t.Wave)}
	if r.Image != "" {
		d["image"], d["previous_image"] = r.Image, t.PreviousImage
	}
	if r.Plan != "" {
		d["plan"] = r.Plan
	}
	if t.Job != "" {
		d["job"] = t.Job
	}
	if t.RollbackJob != "" && t.RollbackJob != noRollback {
		d["rollback_job"] = t.RollbackJob
	}
	if t.Error != "" {
		d["error"] = launchpad.Clip(t.Error, 300)
	}
	e.audit(ctx, t.UserID, launchpad.ActorSystem, launchpad.AuditRolloutTenant, r.ID, d)
}
