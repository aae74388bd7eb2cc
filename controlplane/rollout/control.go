package rollout

import (
	"context"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Get returns a rollout; ENOTFOUND naming it.
func (e *Engine) Get(ctx context.Context, id string) (*launchpad.Rollout, error) {
	if err := launchpad.ValidateRolloutID(id); err != nil {
		return nil, err
	}
	return e.cfg.Store.GetRollout(ctx, id)
}

// List returns the newest rollouts.
func (e *Engine) List(ctx context.Context, limit int) ([]*launchpad.Rollout, error) {
	return e.cfg.Store.ListRollouts(ctx, limit)
}

// Pause stops a running rollout from reaching more tenants; applies already in flight finish
// and are checked. ECONFLICT, saying why, for a rollout that is not running.
func (e *Engine) Pause(ctx context.Context, id, actor string) (*launchpad.Rollout, error) {
	return e.change(ctx, id, actor, launchpad.AuditRolloutPaused, []string{launchpad.RolloutRunning}, func(r *launchpad.Rollout) {
		r.State, r.Reason = launchpad.RolloutPaused, "paused by "+actor
	})
}

// Resume sets a paused rollout running again, or starts a proposed one.
// A proposal whose tenants were not picked yet (a plan edit's) gets them now.
func (e *Engine) Resume(ctx context.Context, id, actor string) (*launchpad.Rollout, error) {
	cur, err := e.Get(ctx, id)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no rollout %s", id)
	} else if err != nil {
		return nil, err
	}
	var tenants []launchpad.RolloutTenant
	if cur.Unselected && cur.State == launchpad.RolloutProposed {
		req := Request{Image: cur.Image, Plan: cur.Plan, Plans: cur.Selection.Plans, UserIDs: cur.Selection.UserIDs}
		if tenants, err = e.selectTenants(ctx, req); err != nil {
			return nil, err
		}
		assignWaves(tenants, cur.Policy)
	}
	var action string
	r, err := e.change(ctx, id, actor, "", []string{launchpad.RolloutPaused, launchpad.RolloutProposed}, func(r *launchpad.Rollout) {
		action = launchpad.AuditRolloutResumed
		if r.State == launchpad.RolloutProposed {
			action = launchpad.AuditRolloutStarted
			if r.Unselected {
				r.Tenants, r.Unselected = tenants, false
			}
		}
		r.State, r.Reason = launchpad.RolloutRunning, ""
	})
	if err != nil {
		return nil, err
	}
	e.audit(ctx, launchpad.PlatformStream, actor, action, r.ID, rolloutDetails(r, nil))
	if r.State == launchpad.RolloutCompleted {
		if err := e.complete(ctx, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// proposed is a step of a proposed rollout: a plan edit's proposal reaches the control plane
// this way, and LAUNCHPAD_AUTO_ROLLOUT decides — start it, keep it for an operator, or drop it.
func (e *Engine) proposed(ctx context.Context, r *launchpad.Rollout) error {
	switch e.cfg.AutoRollout {
	case AutoStart:
		_, err := e.Resume(ctx, r.ID, launchpad.ActorSystem)
		if launchpad.IsConflict(err) {
			return nil // an operator got there first
		}
		return err
	case AutoOff:
		_, err := e.change(ctx, r.ID, launchpad.ActorSystem, launchpad.AuditRolloutAborted, []string{launchpad.RolloutProposed}, func(r *launchpad.Rollout) {
			r.State, r.Reason = launchpad.RolloutAborted, "dropped: LAUNCHPAD_AUTO_ROLLOUT is off ("+r.Reason+")"
		})
		if launchpad.IsConflict(err) {
			return nil
		}
		return err
	}
	e.audit(ctx, launchpad.PlatformStream, r.CreatedBy, launchpad.AuditRolloutProposed, r.ID, rolloutDetails(r, nil))
	return nil
}

// Abort stops a rollout for good and puts every tenant it changed back on its previous
// image (state aborted, then rolled_back once they all are). Tenants not reached stay as
// they are.
func (e *Engine) Abort(ctx context.Context, id, actor string) (*launchpad.Rollout, error) {
	return e.change(ctx, id, actor, launchpad.AuditRolloutAborted,
		[]string{launchpad.RolloutRunning, launchpad.RolloutPaused, launchpad.RolloutProposed}, func(r *launchpad.Rollout) {
			r.State, r.Reason = launchpad.RolloutAborted, "aborted by "+actor
		})
}

// change moves a rollout in one of from to a new state, audits it as action (unless ""),
// and enqueues a step to act on it.
func (e *Engine) change(ctx context.Context, id, actor, action string, from []string, set func(*launchpad.Rollout)) (*launchpad.Rollout, error) {
	if err := launchpad.ValidateRolloutID(id); err != nil {
		return nil, err
	}
	r, err := e.cfg.Store.UpdateRollout(ctx, id, func(r *launchpad.Rollout) error {
		if !slices.Contains(from, r.State) {
			return launchpad.Errorf(launchpad.ECONFLICT, "rollout %s is %s; this is possible only when it is %s", id, r.State, orList(from))
		}
		set(r)
		transition(r)
		return nil
	})
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no rollout %s", id)
	} else if err != nil {
		return nil, err
	}
	e.cfg.Logger.Info("rollout changed", "rollout", id, "state", r.State, "actor", actor)
	if action != "" {
		e.audit(ctx, launchpad.PlatformStream, actor, action, r.ID, rolloutDetails(r, nil))
	}
	if steps(r.State) {
		if err := e.enqueueStep(ctx, id, timeZero); err != nil {
			return nil, launchpad.Wrapf(err, "rollout %s is %s, but its next step was not enqueued; retry", id, r.State)
		}
	}
	return r, nil
}

func orList(states []string) string {
	switch len(states) {
	case 1:
		return states[0]
	case 2:
		return states[0] + " or " + states[1]
	}
	out := ""
	for i, s := range states {
		switch {
		case i == len(states)-1:
			out += " or " + s
		case i > 0:
			out += ", " + s
		default:
			out = s
		}
	}
	return out
}

// EnsureSteps gives every rollout that still moves a step, for a store whose
// step job was lost (a queue purged by hand); serve calls it when it starts.
func (e *Engine) EnsureSteps(ctx context.Context) error {
	rs, err := e.cfg.Store.ListRollouts(ctx, 100)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if !moving(r) {
			continue
		}
		queued, err := e.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobRollout, Key: stepKey(r.ID), Limit: 5})
		if err != nil {
			return err
		}
		if slices.ContainsFunc(queued, func(j *launchpad.Job) bool {
			return j.Status == launchpad.JobQueued || j.Status == launchpad.JobRunning
		}) {
			continue
		}
		if err := e.enqueueStep(ctx, r.ID, timeZero); err != nil {
			return err
		}
	}
	return nil
}

// SeedFleet stores image as the fleet's image if the store has none, and returns the record.
func (e *Engine) SeedFleet(ctx context.Context, image string) (*launchpad.Fleet, error) {
	f, err := e.cfg.Store.GetFleet(ctx)
	if err != nil || f.Image != "" || image == "" {
		return f, err
	}
	return e.cfg.Store.UpdateFleet(ctx, func(f *launchpad.Fleet) error {
		if f.Image == "" {
			f.Image = image
		}
		return nil
	})
}
