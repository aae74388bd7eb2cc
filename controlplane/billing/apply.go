package billing

import (
	"context"
	"encoding/json"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// JobLapse is the kind of the timer job that destroys a lapsed subscription's tenant once the
// volume retention has passed. Its key is the user id and its payload {"user_id"}; it runs at
// the destroy time and re-checks the user then, so a customer who pays or resubscribes in
// the meantime keeps their tenant. (A timer of its own kind, not a delayed apply job, because
// an apply enqueued meanwhile — a plan change while past due — would supersede it.)
const JobLapse = "subscription_lapse"

type lapsePayload struct {
	UserID string `json:"user_id"`
}

// Lapse returns when u's subscription lapsed or will lapse (zero if it is not lapsing) and
// when its tenant is to be destroyed (launchpad.Subscription.Lapse with this processor's
// grace and retention).
func (p *Processor) Lapse(u *launchpad.User) (lapse, destroyAt time.Time) {
	return u.Subscription.Lapse(p.cfg.PastDueGrace, p.cfg.VolumeRetention)
}

// DesiredFor returns the state u's tenant should be in at now, and whether there is one to
// apply: a tenant on the subscription's plan while it runs (active, trialing, past due within
// the grace period), at the generations of u.Control, a destroy once the retention after a lapse has passed, and nothing
// otherwise (no subscription, an incomplete first payment, an unknown price, or a lapse
// whose retention has not passed: the tenant is left as it is until then).
func (p *Processor) DesiredFor(u *launchpad.User, now time.Time) (launchpad.ApplyRequest, bool) {
	sub := u.Subscription
	lapse, destroyAt := p.Lapse(u)
	switch {
	case !u.Control.ErasureRequestedAt.IsZero():
		// The account is being deleted: whatever Stripe says, the tenant goes.
		return launchpad.ApplyRequest{UserID: u.ID, Destroy: true, Reason: launchpad.ReasonErased}, true
	case !destroyAt.IsZero() && !now.Before(destroyAt):
		reason := launchpad.ReasonEnded
		if sub.Status == launchpad.StatusPastDue || sub.Status == launchpad.StatusUnpaid {
			reason = launchpad.ReasonSuspended
		}
		return launchpad.ApplyRequest{UserID: u.ID, Destroy: true, Reason: reason}, true
	case !lapse.IsZero() && !now.Before(lapse):
		return launchpad.ApplyRequest{}, false // lapsed: kept as it is for the retention period
	case launchpad.SubscriptionRunning(sub.Status) && sub.Plan != "":
		return launchpad.ApplyRequest{
			UserID: u.ID, Plan: sub.Plan, Reason: launchpad.ReasonSubscription,
			Product: sub.Metadata[MetaProduct], Region: sub.Metadata[MetaRegion], Image: sub.Metadata[MetaImage],
			KeyRotation: u.Control.KeyRotationGeneration, Rebuild: u.Control.RebuildGeneration, Reset: u.Control.ResetGeneration,
		}, true
	}
	return launchpad.ApplyRequest{}, false
}

// ensureApply makes the queue hold what u needs: an apply job for its desired state unless
// the newest apply job already carries that state, and a JobLapse timer when a destroy is
// due later. It is idempotent, so a re-processed event enqueues nothing new.
func (p *Processor) ensureApply(ctx context.Context, u *launchpad.User) error {
	now := p.cfg.Now()
	if _, destroyAt := p.Lapse(u); !destroyAt.IsZero() && now.Before(destroyAt) {
		if err := p.ensureLapseTimer(ctx, u.ID, destroyAt); err != nil {
			return err
		}
	}
	d, ok := p.DesiredFor(u, now)
	if !ok {
		return nil
	}
	newest, err := p.newestApply(ctx, u.ID)
	if err != nil {
		return err
	}
	if newest != nil && sameState(newest, d) {
		return nil
	}
	if newest == nil && d.Destroy {
		// Nothing was ever applied from here; destroy only if some state says there is a tenant.
		if _, err := p.cfg.Store.GetState(ctx, u.ID); launchpad.IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
	}
	_, err = p.enqueueApply(ctx, d)
	return err
}

// newestApply returns the desired state of the user's newest apply job that was not
// superseded, or nil.
func (p *Processor) newestApply(ctx context.Context, userID string) (*launchpad.ApplyRequest, error) {
	jobs, err := p.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply, Key: userID, Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if j.Status == launchpad.JobSuperseded {
			continue
		}
		d, err := launchpad.ParseApplyRequest(j.Payload)
		if err != nil {
			return nil, nil // an unreadable job: enqueue afresh
		}
		return &d, nil
	}
	return nil, nil
}

// sameState reports whether two desired states ask for the same tenant (the reason aside).
func sameState(a *launchpad.ApplyRequest, b launchpad.ApplyRequest) bool {
	a2 := *a
	a2.Reason, b.Reason = "", ""
	return a2 == b
}

func (p *Processor) enqueueApply(ctx context.Context, d launchpad.ApplyRequest) (*launchpad.Job, error) {
	j, err := p.cfg.Store.EnqueueJob(ctx, &launchpad.Job{
		Kind: launchpad.JobApply, Key: d.UserID, Payload: d.Payload(), Supersede: true, MaxAttempts: p.cfg.ApplyMaxAttempts,
	})
	if err != nil {
		return nil, err
	}
	p.cfg.Logger.Info("apply enqueued", "user", d.UserID, "job", j.ID, "plan", d.Plan, "destroy", d.Destroy, "reason", d.Reason)
	p.cfg.Wake()
	return j, nil
}

// ensureLapseTimer enqueues the user's JobLapse timer for at, unless a queued one is already
// set for then (a newer one supersedes an older, queued one).
func (p *Processor) ensureLapseTimer(ctx context.Context, userID string, at time.Time) error {
	queued, err := p.cfg.Store.ListJobs(ctx, launchpad.JobFilter{Kind: JobLapse, Key: userID, Status: launchpad.JobQueued, Limit: 1})
	if err != nil {
		return err
	}
	if len(queued) > 0 && queued[0].RunAfter.Equal(at.UTC().Truncate(time.Microsecond)) {
		return nil
	}
	payload, _ := json.Marshal(lapsePayload{UserID: userID})
	j, err := p.cfg.Store.EnqueueJob(ctx, &launchpad.Job{Kind: JobLapse, Key: userID, Payload: payload, RunAfter: at, Supersede: true})
	if err != nil {
		return err
	}
	p.cfg.Logger.Info("tenant destroy scheduled", "user", userID, "job", j.ID, "destroy_at", at)
	return nil
}

// HandleLapse runs a JobLapse timer: it re-reads the user and enqueues what is due now (the
// destroy, if the subscription is still lapsed; nothing if it recovered).
func (p *Processor) HandleLapse(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
	var pl lapsePayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil || launchpad.ValidateUserID(pl.UserID) != nil || pl.UserID != job.Key {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "%s job %s has no valid user id", JobLapse, job.ID))
	}
	u, err := p.cfg.Store.GetUser(ctx, pl.UserID)
	if launchpad.IsNotFound(err) {
		return launchpad.PlanSummary{}, nil // the user is gone; nothing to keep or destroy here
	} else if err != nil {
		return launchpad.PlanSummary{}, err
	}
	return launchpad.PlanSummary{}, p.ensureApply(ctx, u)
}

// EnqueueApply enqueues an apply of the user's current desired state whatever the queue
// holds (POST /api/admin/tenants/{user_id}/apply). ENOTFOUND for an unknown user; EINVALID,
// saying why, when the user has nothing to apply (no running subscription, or a lapsed one
// still within its retention).
func (p *Processor) EnqueueApply(ctx context.Context, userID string) (*launchpad.Job, error) {
	return p.ApplyNow(ctx, userID, launchpad.ReasonAdmin)
}

// ApplyNow is EnqueueApply with the reason the job records (launchpad.ReasonKeyRotation,
// ReasonRebuild, …): the user is read afresh, so the job carries the generations just bumped.
// The job supersedes the user's queued applies.
func (p *Processor) ApplyNow(ctx context.Context, userID, reason string) (*launchpad.Job, error) {
	if err := launchpad.ValidateUserID(userID); err != nil {
		return nil, err
	}
	u, err := p.cfg.Store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	d, err := p.DesiredNow(u)
	if err != nil {
		return nil, err
	}
	d.Reason = reason
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return p.enqueueApply(ctx, d)
}

// DesiredNow is DesiredFor at the processor's current time, with an EINVALID error saying
// why when u has nothing to apply (no running subscription, or a lapsed one still within its
// retention, whose tenant is left as it is).
func (p *Processor) DesiredNow(u *launchpad.User) (launchpad.ApplyRequest, error) {
	d, ok := p.DesiredFor(u, p.cfg.Now())
	if ok {
		return d, nil
	}
	msg := "user %s has no subscription to apply (status %q, plan %q)"
	if _, destroyAt := p.Lapse(u); !destroyAt.IsZero() {
		return d, launchpad.Errorf(launchpad.EINVALID, msg+"; its tenant is kept as it is until %s, then destroyed", u.ID, u.Subscription.Status, u.Subscription.Plan, formatTime(destroyAt))
	}
	return d, launchpad.Errorf(launchpad.EINVALID, msg, u.ID, u.Subscription.Status, u.Subscription.Plan)
}
