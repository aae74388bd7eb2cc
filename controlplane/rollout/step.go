package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// timeZero asks enqueueStep for a step now.
var timeZero time.Time

// Handler returns the engine as the queue handler of launchpad.JobRollout jobs.
func (e *Engine) Handler() queue.Handler { return e.Step }

// Step advances one rollout: it looks at the applies and machines of the tenants in flight,
// records what it saw (pausing the rollout past max_failures, completing it when every tenant
// is done), enqueues the next applies of the current wave (or, for an aborted rollout, the
// rollbacks), and enqueues its next step while the rollout still moves. Every decision is
// read back from the store, so a step run twice, or by another replica after a crash, does
// the same thing once.
func (e *Engine) Step(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
	var p stepPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil || launchpad.ValidateRolloutID(p.Rollout) != nil || job.Key != stepKey(p.Rollout) {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "rollout step %s has no valid rollout id", job.ID))
	}
	r, err := e.cfg.Store.GetRollout(ctx, p.Rollout)
	if launchpad.IsNotFound(err) {
		return launchpad.PlanSummary{}, queue.Permanent(err)
	} else if err != nil {
		return launchpad.PlanSummary{}, err
	}
	if r.State == launchpad.RolloutProposed {
		return launchpad.PlanSummary{}, e.proposed(ctx, r)
	}
	if !steps(r.State) {
		return launchpad.PlanSummary{}, nil
	}
	before := r.State
	seen, err := e.observe(ctx, r)
	if err != nil {
		return launchpad.PlanSummary{}, err
	}
	r, err = e.cfg.Store.UpdateRollout(ctx, r.ID, func(cur *launchpad.Rollout) error {
		for i, t := range seen {
			if i < len(cur.Tenants) && cur.Tenants[i].UserID == t.was.UserID && cur.Tenants[i].Status == t.was.Status && cur.Tenants[i].Job == t.was.Job && cur.Tenants[i].RollbackJob == t.was.RollbackJob {
				cur.Tenants[i] = t.now
			}
		}
		transition(cur)
		return nil
	})
	if err != nil {
		return launchpad.PlanSummary{}, err
	}
	for _, t := range seen {
		e.auditTenant(ctx, r, t.now)
	}
	if r.State != before {
		e.transitioned(ctx, r, before)
	}
	switch r.State {
	case launchpad.RolloutRunning:
		if r, err = e.dispatch(ctx, r); err != nil {
			return launchpad.PlanSummary{}, err
		}
	case launchpad.RolloutAborted:
		if r, err = e.rollback(ctx, r); err != nil {
			return launchpad.PlanSummary{}, err
		}
	}
	if moving(r) {
		if err := e.enqueueStep(ctx, r.ID, e.cfg.Now().Add(e.cfg.StepEvery)); err != nil {
			return launchpad.PlanSummary{}, err
		}
	}
	return launchpad.PlanSummary{}, nil
}

// steps reports whether a rollout in state has anything a step could do.
func steps(state string) bool {
	return state == launchpad.RolloutRunning || state == launchpad.RolloutPaused || state == launchpad.RolloutAborted
}

// moving reports whether the rollout needs another step: it runs, or applies it started (or
// rollbacks) are still in flight, or an aborted rollout has tenants left to put back.
func moving(r *launchpad.Rollout) bool {
	switch r.State {
	case launchpad.RolloutRunning:
		return true
	case launchpad.RolloutPaused:
		return r.Counts().InFlight > 0
	case launchpad.RolloutAborted:
		for _, t := range r.Tenants {
			if inFlight(t) || needsRollback(t) {
				return true
			}
		}
	}
	return false
}

func inFlight(t launchpad.RolloutTenant) bool {
	return t.Status == launchpad.TenantApplying || t.Status == launchpad.TenantChecking || t.Status == launchpad.TenantRollingBack
}

// needsRollback: the rollout's apply ran (or may have) and nothing has put the tenant back yet.
func needsRollback(t launchpad.RolloutTenant) bool {
	return t.Changed() && t.RollbackJob == "" && t.Status != launchpad.TenantRolledBack
}

// transition moves r to the state its tenants call for: paused past max_failures, completed
// when no tenant is pending or in flight, rolled_back when an abort has put every changed
// tenant back.
func transition(r *launchpad.Rollout) {
	c := r.Counts()
	switch r.State {
	case launchpad.RolloutRunning:
		reached := c.Total - c.Pending
		if r.Policy.TooManyFailures(c.Failed, reached) {
			r.State = launchpad.RolloutPaused
			r.Reason = fmt.Sprintf("paused by itself: %d of %d tenants reached failed, more than max_failures allows (%s); the tenants not reached are untouched. Resume to go on, or abort to put the changed tenants back",
				c.Failed, reached, failureLimit(r.Policy))
			return
		}
		if c.Pending == 0 && c.InFlight == 0 {
			r.State = launchpad.RolloutCompleted
			r.Reason = ""
		}
	case launchpad.RolloutAborted:
		changed, pending := 0, false
		for _, t := range r.Tenants {
			if t.Job != "" && t.Status != launchpad.TenantPending {
				changed++
			}
			pending = pending || inFlight(t) || needsRollback(t)
		}
		if changed > 0 && !pending {
			r.State = launchpad.RolloutRolledBack
		}
	}
}

func failureLimit(p launchpad.RolloutPolicy) string {
	if p.MaxFailures == 0 && p.MaxFailureRatio > 0 {
		return fmt.Sprintf("a ratio of %g", p.MaxFailureRatio)
	}
	return fmt.Sprintf("%d", p.MaxFailures)
}

// transitioned audits and carries out a state change a step made.
func (e *Engine) transitioned(ctx context.Context, r *launchpad.Rollout, before string) {
	log := e.cfg.Logger.With("rollout", r.ID, "from", before, "to", r.State)
	switch r.State {
	case launchpad.RolloutPaused:
		log.Warn("rollout paused by itself", "reason", r.Reason)
		e.audit(ctx, launchpad.PlatformStream, launchpad.ActorSystem, launchpad.AuditRolloutPaused, r.ID, rolloutDetails(r, map[string]string{"automatic": "true"}))
	case launchpad.RolloutCompleted:
		if err := e.complete(ctx, r); err != nil {
			log.Error("the completed rollout's image was not stored as the fleet's", "error", err)
		}
	case launchpad.RolloutRolledBack:
		log.Info("rollout rolled back")
		e.audit(ctx, launchpad.PlatformStream, launchpad.ActorSystem, launchpad.AuditRolloutRolledBack, r.ID, rolloutDetails(r, nil))
	}
}

// complete audits a completed rollout and, for an image rollout, makes its image the fleet's:
// tenants created or re-applied from now on run it.
func (e *Engine) complete(ctx context.Context, r *launchpad.Rollout) error {
	var err error
	if r.Image != "" {
		_, err = e.cfg.Store.UpdateFleet(ctx, func(f *launchpad.Fleet) error { f.Image = r.Image; return nil })
	}
	e.cfg.Logger.Info("rollout completed", "rollout", r.ID, "image", r.Image, "plan", r.Plan)
	e.audit(ctx, launchpad.PlatformStream, launchpad.ActorSystem, launchpad.AuditRolloutCompleted, r.ID, rolloutDetails(r, nil))
	return err
}
