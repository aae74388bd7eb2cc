package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Pool is a set of workers sharing one job store. Create it with New, run it with Run.
type Pool struct {
	cfg   Config
	kinds []string

	mu   sync.Mutex
	wake chan struct{} // closed and replaced by Wake: a broadcast to idle workers
}

// Causes a job's context is cancelled with.
var (
	errShutdown  = errors.New("the worker pool is shutting down")
	errLeaseLost = errors.New("the job's lease was lost (another worker may have reclaimed it)")
)

// New checks cfg and returns a pool; it starts nothing.
func New(cfg Config) (*Pool, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	kinds := make([]string, 0, len(c.Handlers))
	for k := range c.Handlers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return &Pool{cfg: c, kinds: kinds, wake: make(chan struct{})}, nil
}

// Kinds returns the job kinds the pool claims, sorted.
func (p *Pool) Kinds() []string { return slices.Clone(p.kinds) }

// Wake makes every idle worker ask the store for work now instead of at its next poll. Call
// it after enqueueing a job in this process; it never blocks.
func (p *Pool) Wake() {
	p.mu.Lock()
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

func (p *Pool) wakeChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wake
}

// Notifier is what a job store offers when it can tell this process that another process
// enqueued a job (internal/postgres: LISTEN/NOTIFY). Run then watches it for the pool's kinds
// and wakes idle workers as Wake does, so that a job enqueued by any replica starts at once;
// the poll remains the fallback (jobs due later, expired leases, a lost connection).
type Notifier interface {
	// NotifyJobs calls wake, which does not block, whenever a job of one of kinds may have
	// become runnable, until ctx is done; then it returns nil.
	NotifyJobs(ctx context.Context, kinds []string, wake func()) error
}

// Run starts the workers and blocks until ctx is cancelled and every worker has stopped. On
// cancellation the workers stop claiming at once; jobs already running get ShutdownGrace to
// finish, then their contexts are cancelled, and their outcome is still recorded. Run returns
// nil after a clean drain.
func (p *Pool) Run(ctx context.Context) error {
	// Jobs run under their own context so that a shutdown gives them a grace period instead
	// of cancelling them with Run's context.
	jobBase, cancelJobs := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelJobs(nil)

	var wg sync.WaitGroup
	if n, ok := p.cfg.Store.(Notifier); ok {
		wg.Go(func() {
			if err := n.NotifyJobs(ctx, p.kinds, p.Wake); err != nil {
				p.cfg.Logger.Warn("job notifications stopped; idle workers poll", "error", err)
			}
		})
	}
	for i := range p.cfg.Workers {
		w := &worker{pool: p, id: fmt.Sprintf("%s/%d", p.cfg.WorkerID, i+1)}
		wg.Go(func() { w.loop(ctx, jobBase) })
	}
	p.cfg.Logger.Info("job workers started", "workers", p.cfg.Workers, "worker_id", p.cfg.WorkerID, "kinds", p.kinds)

	<-ctx.Done()
	grace := time.AfterFunc(p.cfg.ShutdownGrace, func() {
		p.cfg.Logger.Warn("shutdown grace period over; cancelling running jobs", "grace", p.cfg.ShutdownGrace)
		cancelJobs(errShutdown)
	})
	wg.Wait()
	grace.Stop()
	p.cfg.Logger.Info("job workers stopped", "worker_id", p.cfg.WorkerID)
	return nil
}

// worker claims and runs one job at a time.
type worker struct {
	pool *Pool
	id   string
}

// loop claims jobs until ctx is cancelled. jobBase is the parent of each job's context.
func (w *worker) loop(ctx, jobBase context.Context) {
	p := w.pool
	failures := 0 // consecutive claim errors, for backing off from a store that is down
	for ctx.Err() == nil {
		wake := p.wakeChan() // before claiming, so a Wake during the claim is not missed
		job, err := p.cfg.Store.ClaimJob(ctx, launchpad.JobClaim{
			Worker: w.id, Kinds: p.kinds, Lease: p.cfg.Lease, Now: p.cfg.Now(),
		})
		switch {
		case err == nil:
			failures = 0
			w.run(jobBase, job)
			continue
		case ctx.Err() != nil:
			return
		case launchpad.IsConflict(err):
			// Lost a race with another claimer: try again after a short random pause.
			sleep(ctx, nil, time.Duration(rand.Int64N(int64(50*time.Millisecond))))
			continue
		case launchpad.IsNotFound(err):
			failures = 0
			sleep(ctx, wake, p.cfg.Poll)
		default:
			failures++
			wait := min(p.cfg.Poll<<min(failures, 5), 30*time.Second)
			p.cfg.Logger.Warn("claiming a job failed; retrying", "worker", w.id, "error", err, "retry_in", wait)
			sleep(ctx, nil, wait)
		}
	}
}

// sleep waits for d, a wake-up or ctx, whichever comes first.
func sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}
