package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// maxErrorLen bounds the error text stored with a job.
const maxErrorLen = 2000

// run runs one claimed job and records its outcome.
func (w *worker) run(jobBase context.Context, job *launchpad.Job) {
	p := w.pool
	log := p.cfg.Logger.With("job", job.ID, "kind", job.Kind, "key", job.Key, "attempt", job.Attempts, "worker", w.id)
	log.Info("job started")
	started := time.Now()

	ctx, cancel := context.WithCancelCause(jobBase)
	defer cancel(nil)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		w.heartbeat(ctx, cancel, job)
	}()

	summary, err := w.call(ctx, job)
	cancel(nil) // stops the heartbeat; a cause set earlier is kept
	<-hbDone

	if errors.Is(context.Cause(ctx), errLeaseLost) {
		// Another worker owns the job now (or will once the lease expires): recording an
		// outcome would be refused, and the job will be run again from the start.
		log.Warn("job abandoned: lease lost", "error", err)
		p.observe(nil, err)
		return
	}

	result := w.result(ctx, job, summary, err)
	finishCtx, cancelFinish := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.FinishTimeout)
	defer cancelFinish()
	stored, ferr := p.cfg.Store.FinishJob(finishCtx, job.ID, w.id, result, p.cfg.Now())
	took := time.Since(started).Round(time.Millisecond)
	switch {
	case ferr != nil:
		// The lease runs out and the job is reclaimed: nothing is lost, it runs again.
		log.Error("recording the job's outcome failed; it will be reclaimed when its lease expires", "error", ferr, "outcome", result.Status, "took", took)
	case stored.Status == launchpad.JobSucceeded:
		log.Info("job succeeded", "took", took, "add", result.Summary.Add, "change", result.Summary.Change, "destroy", result.Summary.Destroy)
	case stored.Status == launchpad.JobQueued:
		log.Warn("job failed; retrying", "error", result.Error, "retry_at", stored.RunAfter, "took", took)
	default:
		log.Error("job failed", "error", result.Error, "status", stored.Status, "took", took)
	}
	p.observe(stored, err)
}

// call runs the job's handler, turning a panic into an error.
func (w *worker) call(ctx context.Context, job *launchpad.Job) (summary launchpad.PlanSummary, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.pool.cfg.Logger.Error("job handler panicked", "job", job.ID, "kind", job.Kind, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("the %s handler panicked: %v", job.Kind, r)
		}
	}()
	h := w.pool.cfg.Handlers[job.Kind]
	if h == nil { // ClaimJob returned a kind we did not ask for
		return summary, Permanent(fmt.Errorf("no handler for job kind %q", job.Kind))
	}
	return h(ctx, job)
}

// result turns a handler's return values into the JobResult to store: a failure with
// attempts left is retried after the backoff (at once if the pool is shutting down, so another
// replica can take it), a permanent failure or the last attempt is final.
func (w *worker) result(ctx context.Context, job *launchpad.Job, summary launchpad.PlanSummary, err error) launchpad.JobResult {
	if err == nil {
		return launchpad.JobResult{Status: launchpad.JobSucceeded, Summary: summary}
	}
	r := launchpad.JobResult{Status: launchpad.JobFailed, Error: errorText(err), Summary: summary}
	maxAttempts := job.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = launchpad.DefaultJobMaxAttempts
	}
	now := w.pool.cfg.Now()
	var waiting interface{ RetryAfter() time.Duration }
	switch {
	case IsPermanent(err) || job.Attempts >= maxAttempts:
	case errors.Is(context.Cause(ctx), errShutdown):
		r.RetryAt = now
	case errors.As(err, &waiting):
		// The handler waits for other work (an erasure for its teardown apply) and says
		// when to look again.
		r.RetryAt = now.Add(waiting.RetryAfter())
	default:
		r.RetryAt = now.Add(w.pool.cfg.Backoff(job.Attempts))
	}
	return r
}

// heartbeat extends the job's lease every Heartbeat until ctx ends. When the store says the
// lease is gone, or the lease runs out because heartbeats keep failing, the job's context is
// cancelled with errLeaseLost: the job may already be running elsewhere.
func (w *worker) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, job *launchpad.Job) {
	p := w.pool
	leaseEnd := job.LeaseExpiresAt
	t := time.NewTicker(p.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := p.cfg.Now()
		err := p.cfg.Store.HeartbeatJob(ctx, job.ID, w.id, p.cfg.Lease, now)
		switch {
		case err == nil:
			leaseEnd = now.Add(p.cfg.Lease)
		case ctx.Err() != nil:
			return
		case launchpad.IsConflict(err) || launchpad.IsNotFound(err):
			p.cfg.Logger.Warn("job lease lost; cancelling the job", "job", job.ID, "worker", w.id, "error", err)
			cancel(errLeaseLost)
			return
		case !p.cfg.Now().Before(leaseEnd):
			p.cfg.Logger.Warn("job lease expired while heartbeats failed; cancelling the job", "job", job.ID, "worker", w.id, "error", err)
			cancel(errLeaseLost)
			return
		default:
			p.cfg.Logger.Warn("job heartbeat failed; will retry before the lease ends", "job", job.ID, "worker", w.id, "error", err, "lease_until", leaseEnd)
		}
	}
}

func (p *Pool) observe(job *launchpad.Job, err error) {
	if p.cfg.OnFinished != nil {
		p.cfg.OnFinished(job, err)
	}
}

// errorText is the error stored with a failed job: the coded message when there is one
// (written for people), the plain text otherwise, bounded in length.
func errorText(err error) string {
	s := err.Error()
	if launchpad.ErrorCode(err) != launchpad.EINTERNAL {
		s = launchpad.ErrorCode(err) + ": " + launchpad.ErrorMessage(err)
	}
	return launchpad.Clip(s, maxErrorLen)
}
