package queue_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue/queuetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

const testKind = "test"

// newStore opens a fresh SQLite store in the test's temporary directory.
func newStore(t *testing.T) launchpad.Store {
	s, _ := sqlitetest.Open(t, sqlite.Options{})
	return s
}

// finished collects OnFinished calls so tests wait on them instead of sleeping.
type finished struct {
	ch chan *launchpad.Job
}

func newFinished() *finished { return &finished{ch: make(chan *launchpad.Job, 100)} }

func (f *finished) hook(j *launchpad.Job, _ error) { f.ch <- j }

// wait returns the next finished job (nil when FinishJob failed or the lease was lost).
func (f *finished) wait(t *testing.T, what string) *launchpad.Job {
	t.Helper()
	select {
	case j := <-f.ch:
		return j
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return nil
	}
}

// idleClaims wraps a job store and reports the time (JobClaim.Now) of each claim that found
// nothing to run, so a test can wait until a pool has looked for work and gone idle.
type idleClaims struct {
	launchpad.JobStore
	idle chan time.Time
}

func newIdleClaims(s launchpad.JobStore) *idleClaims {
	return &idleClaims{JobStore: s, idle: make(chan time.Time, 64)}
}

func (s *idleClaims) ClaimJob(ctx context.Context, c launchpad.JobClaim) (*launchpad.Job, error) {
	j, err := s.JobStore.ClaimJob(ctx, c)
	if launchpad.IsNotFound(err) {
		select {
		case s.idle <- c.Now:
		default: // the test is not listening; a later claim will tell it
		}
	}
	return j, err
}

// wait returns once a claim whose time satisfies ok has found nothing to run.
func (s *idleClaims) wait(t *testing.T, what string, ok func(time.Time) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case at := <-s.idle:
			if ok(at) {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func always(time.Time) bool { return true }

// retryingPool starts a pool on a fresh store that runs h for testKind, polling every 10ms and
// retrying a failed attempt after 1ms; it returns the store and the pool's finished jobs.
func retryingPool(t *testing.T, h queue.Handler) (launchpad.Store, *finished) {
	t.Helper()
	s := newStore(t)
	fin := newFinished()
	startPool(t, queue.Config{
		Store: s, Poll: 10 * time.Millisecond, OnFinished: fin.hook,
		Backoff:  func(int) time.Duration { return time.Millisecond },
		Handlers: map[string]queue.Handler{testKind: h},
	})
	return s, fin
}

// startPool runs a pool until the test ends (or the returned stop is called) and returns
// stop, which cancels Run and waits for it to return.
func startPool(t *testing.T, cfg queue.Config) (stop func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = stacktest.Logger(t)
	}
	p, err := queue.New(cfg)
	if err != nil {
		t.Fatalf("queue.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := p.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("the pool did not stop within 30s of its context being cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func enqueue(t *testing.T, s launchpad.JobStore, key string, maxAttempts int) *launchpad.Job {
	t.Helper()
	j, err := s.EnqueueJob(t.Context(), &launchpad.Job{Kind: testKind, Key: key, MaxAttempts: maxAttempts, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatalf("EnqueueJob: %v", err)
	}
	return j
}

func getJob(t *testing.T, s launchpad.JobStore, id string) *launchpad.Job {
	t.Helper()
	j, err := s.GetJob(t.Context(), id)
	if err != nil {
		t.Fatalf("GetJob(%s): %v", id, err)
	}
	return j
}

func TestPoolRunsJobsAndRecordsSummary(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	var ran sync.Map
	startPool(t, queue.Config{
		Store: s, Poll: 20 * time.Millisecond, OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(_ context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
			ran.Store(j.ID, true)
			return launchpad.PlanSummary{Add: 2, Change: 1, Destroy: 3}, nil
		}},
	})
	ids := []string{enqueue(t, s, "u1", 0).ID, enqueue(t, s, "u2", 0).ID, enqueue(t, s, "u3", 0).ID}
	for range ids {
		fin.wait(t, "three jobs to finish")
	}
	for _, id := range ids {
		j := getJob(t, s, id)
		if j.Status != launchpad.JobSucceeded || j.Attempts != 1 {
			t.Errorf("job %s: status %q after %d attempts, want succeeded after 1", id, j.Status, j.Attempts)
		}
		if j.Summary != (launchpad.PlanSummary{Add: 2, Change: 1, Destroy: 3}) {
			t.Errorf("job %s: stored summary %+v, want the handler's {2 1 3}", id, j.Summary)
		}
		if _, ok := ran.Load(id); !ok {
			t.Errorf("job %s finished without its handler running", id)
		}
	}
}

func TestPoolRetriesWithBackoffThenLeavesJobFailed(t *testing.T) {
	s := newStore(t)
	claims := newIdleClaims(s)
	fin := newFinished()
	var backoffs []int
	var mu sync.Mutex
	var calls atomic.Int32
	startPool(t, queue.Config{
		Store: claims, Poll: 10 * time.Millisecond, OnFinished: fin.hook,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			backoffs = append(backoffs, attempt)
			mu.Unlock()
			return time.Duration(attempt) * 10 * time.Millisecond
		},
		Handlers: map[string]queue.Handler{testKind: func(_ context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
			calls.Add(1)
			return launchpad.PlanSummary{}, launchpad.Errorf(launchpad.EUNAVAILABLE, "Fly answered 503 (attempt %d)", j.Attempts)
		}},
	})
	job := enqueue(t, s, "u1", 3)
	var last *launchpad.Job
	for i := range 3 {
		last = fin.wait(t, fmt.Sprintf("attempt %d to finish", i+1))
	}
	if last.Status != launchpad.JobFailed || last.Attempts != 3 {
		t.Fatalf("after 3 failed attempts the job is %q with %d attempts; want failed with 3", last.Status, last.Attempts)
	}
	if want := "unavailable: Fly answered 503 (attempt 3)"; last.Error != want {
		t.Errorf("stored error %q, want %q", last.Error, want)
	}
	mu.Lock()
	if fmt.Sprint(backoffs) != "[1 2]" {
		t.Errorf("backoff was asked for attempts %v, want [1 2] (none after the last attempt)", backoffs)
	}
	mu.Unlock()
	// A failed job stays failed: the pool looks for work again and finds none.
	failed := time.Now()
	claims.wait(t, "the pool to look for work after the last attempt", func(at time.Time) bool { return at.After(failed) })
	select {
	case j := <-fin.ch:
		t.Fatalf("a job finished after the last attempt: %+v", j)
	default:
	}
	if got := getJob(t, s, job.ID); got.Status != launchpad.JobFailed || calls.Load() != 3 {
		t.Fatalf("job is %q after %d handler calls; want failed after 3", got.Status, calls.Load())
	}
	// Re-triggering is enqueueing again: the new job runs.
	again := enqueue(t, s, "u1", 1)
	if j := fin.wait(t, "the re-triggered job"); j == nil || j.ID != again.ID {
		t.Fatalf("after re-enqueueing, finished %+v; want job %s", j, again.ID)
	}
}

func TestPoolPanicIsAFailedAttempt(t *testing.T) {
	s, fin := retryingPool(t, func(_ context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
		if j.Attempts == 1 {
			var attempts []int
			_ = attempts[j.Attempts] // an index out of range, as a bug would cause
		}
		return launchpad.PlanSummary{}, nil
	})
	job := enqueue(t, s, "u1", 0)
	first := fin.wait(t, "the panicking attempt")
	if first.Status != launchpad.JobQueued || first.Error == "" {
		t.Fatalf("after a panic the job is %q with error %q; want queued for retry with the panic recorded", first.Status, first.Error)
	}
	second := fin.wait(t, "the retry")
	if second.ID != job.ID || second.Status != launchpad.JobSucceeded || second.Attempts != 2 {
		t.Fatalf("retry: job %s %q after %d attempts; want %s succeeded after 2", second.ID, second.Status, second.Attempts, job.ID)
	}
}

func TestPoolPermanentErrorIsNotRetried(t *testing.T) {
	s, fin := retryingPool(t, func(context.Context, *launchpad.Job) (launchpad.PlanSummary, error) {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.EINVALID, "plan %q does not exist", "gold"))
	})
	enqueue(t, s, "u1", 5)
	j := fin.wait(t, "the job")
	if j.Status != launchpad.JobFailed || j.Attempts != 1 || j.Error != `invalid: plan "gold" does not exist` {
		t.Fatalf("job %q after %d attempts with error %q; want failed after 1 with the message", j.Status, j.Attempts, j.Error)
	}
}

func TestPoolRunsOneJobPerKeyAtATime(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	var mu sync.Mutex
	running := map[string]int{}
	maxPerKey, maxTotal, total := 0, 0, 0
	// Each job of u0 runs until one of u1 runs beside it, and meets it here: so jobs of two
	// keys do run at once, while the four workers would run two of one key together if the
	// store let them.
	meet := make(chan struct{})
	startPool(t, queue.Config{
		Store: s, Workers: 4, Poll: 5 * time.Millisecond, OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
			mu.Lock()
			running[j.Key]++
			total++
			maxPerKey, maxTotal = max(maxPerKey, running[j.Key]), max(maxTotal, total)
			mu.Unlock()
			defer func() {
				mu.Lock()
				running[j.Key]--
				total--
				mu.Unlock()
			}()
			send, receive := meet, (<-chan struct{})(nil)
			if j.Key == "u1" {
				send, receive = nil, meet
			}
			select {
			case send <- struct{}{}:
			case <-receive:
			case <-ctx.Done():
				return launchpad.PlanSummary{}, ctx.Err()
			case <-time.After(30 * time.Second):
				return launchpad.PlanSummary{}, fmt.Errorf("no job of the other key ran beside job %s of %s", j.ID, j.Key)
			}
			return launchpad.PlanSummary{}, nil
		}},
	})
	for i := range 12 {
		enqueue(t, s, fmt.Sprintf("u%d", i%2), 0)
	}
	for range 12 {
		if j := fin.wait(t, "12 jobs"); j == nil || j.Status != launchpad.JobSucceeded {
			t.Fatalf("finished %+v; want every job to meet one of the other key and succeed", j)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if maxPerKey != 1 {
		t.Fatalf("%d jobs of one key ran at the same time; the store allows one", maxPerKey)
	}
	t.Logf("at most %d jobs ran at once (4 workers, 2 keys)", maxTotal)
}

func TestPoolWakeClaimsWithoutWaitingForThePoll(t *testing.T) {
	s := newStore(t)
	claims := newIdleClaims(s)
	fin := newFinished()
	p, err := queue.New(queue.Config{
		Store: claims, Poll: time.Hour, OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(context.Context, *launchpad.Job) (launchpad.PlanSummary, error) {
			return launchpad.PlanSummary{}, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Every worker finds the queue empty and goes to sleep for an hour.
	for range queue.DefaultWorkers {
		claims.wait(t, "the workers to find the queue empty", always)
	}
	job := enqueue(t, s, "u1", 0)
	p.Wake()
	if j := fin.wait(t, "the job after Wake (the poll interval is an hour)"); j.ID != job.ID || j.Status != launchpad.JobSucceeded {
		t.Fatalf("finished %+v, want %s succeeded", j, job.ID)
	}
}

// notifyingStore is a store that tells the pool when another process enqueued a job, as
// internal/postgres does with LISTEN/NOTIFY.
type notifyingStore struct {
	*idleClaims
	kinds chan []string
	wake  chan func()
}

func (n *notifyingStore) NotifyJobs(ctx context.Context, kinds []string, wake func()) error {
	n.kinds <- kinds
	n.wake <- wake
	<-ctx.Done()
	return nil
}

// TestPoolWakesOnTheStoresNotification: with a store that notifies, a job another process
// enqueued starts at once although the poll interval is an hour, and the pool watched for its
// own kinds only.
func TestPoolWakesOnTheStoresNotification(t *testing.T) {
	s := &notifyingStore{idleClaims: newIdleClaims(newStore(t)), kinds: make(chan []string, 1), wake: make(chan func(), 1)}
	fin := newFinished()
	startPool(t, queue.Config{
		Store: s, Poll: time.Hour, OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(context.Context, *launchpad.Job) (launchpad.PlanSummary, error) {
			return launchpad.PlanSummary{}, nil
		}},
	})
	if kinds := <-s.kinds; len(kinds) != 1 || kinds[0] != testKind {
		t.Fatalf("the pool watched for kinds %v, want [%s]", kinds, testKind)
	}
	wake := <-s.wake
	for range queue.DefaultWorkers { // every worker finds the queue empty and sleeps for an hour
		s.wait(t, "the workers to find the queue empty", always)
	}
	job := enqueue(t, s, "u1", 0) // as another replica would: no Wake in this process
	wake()
	if j := fin.wait(t, "the job after the store's notification (the poll interval is an hour)"); j.ID != job.ID {
		t.Fatalf("finished %+v, want %s", j, job.ID)
	}
}

func TestPoolHeartbeatKeepsTheLeaseOfALongJob(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	release := make(chan struct{})
	started := make(chan struct{})
	var startOnce sync.Once
	startPool(t, queue.Config{
		Store: s, Lease: time.Second, Heartbeat: 100 * time.Millisecond, Poll: 10 * time.Millisecond,
		WorkerID: "a", OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, _ *launchpad.Job) (launchpad.PlanSummary, error) {
			startOnce.Do(func() { close(started) })
			select {
			case <-release:
				return launchpad.PlanSummary{}, nil
			case <-ctx.Done():
				return launchpad.PlanSummary{}, context.Cause(ctx)
			}
		}},
	})
	job := enqueue(t, s, "u1", 0)
	<-started
	begun := time.Now()
	// A second pool polls the same store from now on; it must never get the job.
	var stolen atomic.Int32
	other := newIdleClaims(s)
	startPool(t, queue.Config{
		Store: other, Lease: time.Second, Heartbeat: 100 * time.Millisecond, Poll: 10 * time.Millisecond,
		WorkerID: "b",
		Handlers: map[string]queue.Handler{testKind: func(context.Context, *launchpad.Job) (launchpad.PlanSummary, error) {
			stolen.Add(1)
			return launchpad.PlanSummary{}, nil
		}},
	})
	// Run until the other pool has looked for work, and found none, three and a half lease
	// lengths after the job began (the lease is short, but ten heartbeats fit in it, so a
	// loaded machine does not lose it).
	other.wait(t, "the other pool to poll for several lease lengths", func(at time.Time) bool {
		return at.Sub(begun) >= 3500*time.Millisecond
	})
	close(release)
	j := fin.wait(t, "the long job")
	if j == nil {
		t.Fatal("the long job's outcome could not be recorded: its lease was lost despite the heartbeats")
	}
	if j.ID != job.ID || j.Status != launchpad.JobSucceeded || j.Attempts != 1 || stolen.Load() != 0 {
		t.Fatalf("long job: %s %q after %d attempts, %d runs by the other pool; want succeeded after 1 attempt, 0 stolen", j.ID, j.Status, j.Attempts, stolen.Load())
	}
}

func TestJobOfAKilledWorkerIsReclaimedByAnotherPool(t *testing.T) {
	s := newStore(t)
	dead := &queuetest.DeadStore{JobStore: s}
	started := make(chan struct{})
	var firstCtxErr atomic.Value
	stopA := startPool(t, queue.Config{
		Store: dead, Workers: 1, Lease: time.Minute, Poll: 10 * time.Millisecond, WorkerID: "a", ShutdownGrace: 10 * time.Millisecond,
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, _ *launchpad.Job) (launchpad.PlanSummary, error) {
			close(started)
			<-ctx.Done() // an apply that never gets to finish
			firstCtxErr.Store(context.Cause(ctx).Error())
			return launchpad.PlanSummary{}, ctx.Err()
		}},
	})
	job := enqueue(t, s, "u1", 0)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("pool a never started the job")
	}
	// Kill pool a: from now on nothing it does reaches the store, then its context goes.
	dead.Dead.Store(true)
	stopA()
	if j := getJob(t, s, job.ID); j.Status != launchpad.JobRunning || j.LeaseOwner != "a/1" {
		t.Fatalf("after worker a died the job is %q leased to %q; want still running under a/1 until the lease ends", j.Status, j.LeaseOwner)
	}

	// Pool b's clock is two minutes ahead: to it, a's one-minute lease has run out.
	fin := newFinished()
	startPool(t, queue.Config{
		Store: s, Workers: 1, Poll: 10 * time.Millisecond, WorkerID: "b", OnFinished: fin.hook,
		Now: func() time.Time { return time.Now().Add(2 * time.Minute) },
		Handlers: map[string]queue.Handler{testKind: func(context.Context, *launchpad.Job) (launchpad.PlanSummary, error) {
			return launchpad.PlanSummary{Add: 1}, nil
		}},
	})
	j := fin.wait(t, "pool b to reclaim the job")
	if j.ID != job.ID || j.Status != launchpad.JobSucceeded || j.Attempts != 2 || j.LeaseOwner != "b/1" {
		t.Fatalf("reclaimed job: %s %q after %d attempts, lease owner %q; want %s succeeded after 2 attempts by b/1", j.ID, j.Status, j.Attempts, j.LeaseOwner, job.ID)
	}
	if j.Summary.Add != 1 {
		t.Fatalf("reclaimed job summary %+v, want pool b's", j.Summary)
	}
	t.Logf("worker a's job context ended with: %v", firstCtxErr.Load())
}

func TestLostLeaseCancelsTheJob(t *testing.T) {
	s := newStore(t)
	lossy := &queuetest.DeadStore{JobStore: s}
	fin := newFinished()
	cause := make(chan error, 1)
	startPool(t, queue.Config{
		Store: lossy, Lease: 300 * time.Millisecond, Heartbeat: 50 * time.Millisecond, Poll: 10 * time.Millisecond,
		OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, _ *launchpad.Job) (launchpad.PlanSummary, error) {
			lossy.LeaseLost.Store(true)
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return launchpad.PlanSummary{}, ctx.Err()
		}},
	})
	job := enqueue(t, s, "u1", 0)
	if j := fin.wait(t, "the job to be abandoned"); j != nil {
		t.Fatalf("a job whose lease was lost was finished anyway: %+v", j)
	}
	if err := <-cause; err == nil || !containsAll(err.Error(), "lease", "lost") {
		t.Fatalf("the job's context ended with %v; want the lost-lease cause", err)
	}
	if j := getJob(t, s, job.ID); j.Status != launchpad.JobRunning {
		t.Fatalf("the abandoned job is %q; want it left running for its lease to run out and be reclaimed", j.Status)
	}
}

func TestShutdownDrainsRunningJobsAndStopsClaiming(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	started := make(chan string, 10)
	stop := startPool(t, queue.Config{
		Store: s, Workers: 1, Poll: 10 * time.Millisecond, ShutdownGrace: 10 * time.Second, OnFinished: fin.hook,
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
			started <- j.ID
			select {
			case <-time.After(300 * time.Millisecond):
				return launchpad.PlanSummary{Change: 1}, nil
			case <-ctx.Done():
				return launchpad.PlanSummary{}, ctx.Err()
			}
		}},
	})
	first := enqueue(t, s, "u1", 0)
	if id := <-started; id != first.ID {
		t.Fatalf("started %s, want %s", id, first.ID)
	}
	second := enqueue(t, s, "u2", 0)
	stop() // returns only when the running job is done
	if j := getJob(t, s, first.ID); j.Status != launchpad.JobSucceeded {
		t.Fatalf("the job running at shutdown is %q; want it to finish within the grace period", j.Status)
	}
	if j := getJob(t, s, second.ID); j.Status != launchpad.JobQueued || j.Attempts != 0 {
		t.Fatalf("a job enqueued during shutdown is %q with %d attempts; want it left queued", j.Status, j.Attempts)
	}
}

func TestShutdownGraceCancelsAndRequeuesAStuckJob(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	started := make(chan struct{})
	stop := startPool(t, queue.Config{
		Store: s, Workers: 1, Poll: 10 * time.Millisecond, ShutdownGrace: 50 * time.Millisecond, OnFinished: fin.hook,
		Backoff: func(int) time.Duration { return time.Hour },
		Handlers: map[string]queue.Handler{testKind: func(ctx context.Context, _ *launchpad.Job) (launchpad.PlanSummary, error) {
			close(started)
			<-ctx.Done()
			return launchpad.PlanSummary{}, ctx.Err()
		}},
	})
	job := enqueue(t, s, "u1", 0)
	<-started
	stop()
	j := getJob(t, s, job.ID)
	if j.Status != launchpad.JobQueued || j.RunAfter.After(time.Now()) {
		t.Fatalf("a job cancelled by shutdown is %q, runnable after %s; want queued and runnable at once (not after the 1h backoff) so another replica takes it", j.Status, j.RunAfter)
	}
}

func TestWorkersFromEnv(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{{"", 2, true}, {"1", 1, true}, {"8", 8, true}, {"0", 0, false}, {"-3", 0, false}, {"two", 0, false}, {"1000", 0, false}} {
		n, err := queue.WorkersFromEnv(func(string) string { return tc.in })
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("LAUNCHPAD_WORKERS=%q: got %d, %v; want %d, ok=%v", tc.in, n, err, tc.want, tc.ok)
		}
		if err != nil && !containsAll(err.Error(), "LAUNCHPAD_WORKERS", "1 to 64") {
			t.Errorf("error %q does not name the variable and the valid range", err)
		}
	}
}

func TestEnvConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := queue.EnvConfig(env(nil))
	if err != nil || c.Workers != 2 || c.Lease != 2*time.Minute || c.ShutdownGrace != 30*time.Second {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = queue.EnvConfig(env(map[string]string{"LAUNCHPAD_WORKERS": "4", "LAUNCHPAD_JOB_LEASE": "30s", "LAUNCHPAD_JOB_SHUTDOWN_GRACE": "2m"}))
	if err != nil || c.Workers != 4 || c.Lease != 30*time.Second || c.ShutdownGrace != 2*time.Minute {
		t.Fatalf("set: %+v, %v", c, err)
	}
	_, err = queue.EnvConfig(env(map[string]string{"LAUNCHPAD_WORKERS": "x", "LAUNCHPAD_JOB_LEASE": "1s", "LAUNCHPAD_JOB_SHUTDOWN_GRACE": "soon"}))
	if err == nil || !containsAll(err.Error(), "LAUNCHPAD_WORKERS", "LAUNCHPAD_JOB_LEASE", "LAUNCHPAD_JOB_SHUTDOWN_GRACE") {
		t.Fatalf("bad settings: %v; want each named", err)
	}
}

func TestNewRefusesABadConfig(t *testing.T) {
	_, err := queue.New(queue.Config{Lease: time.Second, Heartbeat: 2 * time.Second})
	if err == nil || !containsAll(err.Error(), "Store is nil", "Handlers is empty", "shorter than Lease") {
		t.Fatalf("New with no store, no handlers and a heartbeat longer than the lease: %v; want every problem named", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
