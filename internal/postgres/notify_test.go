package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
)

// watcher runs NotifyJobs for kinds on db and counts its wake-ups.
type watcher struct {
	wakes atomic.Int64
	ch    chan struct{}
	done  chan error
}

func watch(t *testing.T, db *postgres.DB, kinds ...string) *watcher {
	t.Helper()
	w := &watcher{ch: make(chan struct{}, 100), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		w.done <- db.NotifyJobs(ctx, kinds, func() {
			w.wakes.Add(1)
			select {
			case w.ch <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-w.done; err != nil {
			t.Errorf("NotifyJobs returned %v", err)
		}
	})
	w.wait(t, "the wake-up NotifyJobs gives once it listens")
	return w
}

// wait fails t unless a wake-up comes within 10 seconds.
func (w *watcher) wait(t *testing.T, what string) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-w.ch:
		return time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatalf("no wake-up within 10s: %s", what)
		return 0
	}
}

// none fails t if a wake-up comes within d.
func (w *watcher) none(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case <-w.ch:
		t.Fatalf("a wake-up came: %s", why)
	case <-time.After(d):
	}
}

// TestNotifyJobsWakesIdleWorkersOfEveryReplica: a job enqueued through one store (one
// replica) wakes the watcher of another at once; a job of a kind the watcher does not run, or
// one enqueued in a transaction that rolls back, does not.
func TestNotifyJobsWakesIdleWorkersOfEveryReplica(t *testing.T) {
	url := freshURL(t)
	a, b := openStore(t, url, postgres.Options{}), openStore(t, url, postgres.Options{})
	w := watch(t, b, launchpad.JobApply)

	if _, err := a.EnqueueJob(t.Context(), &launchpad.Job{Kind: launchpad.JobApply, Key: "u1"}); err != nil {
		t.Fatal(err)
	}
	took := w.wait(t, "an apply job enqueued by the other replica")
	t.Logf("MEASURED enqueue in one replica to wake-up in another (LISTEN/NOTIFY): %s", took.Round(time.Microsecond))

	if _, err := a.EnqueueJob(t.Context(), &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_1"}); err != nil {
		t.Fatal(err)
	}
	w.none(t, 300*time.Millisecond, "a stripe_event job woke a watcher of apply jobs")

	// A Stripe event recorded with its job wakes the workers of that kind; a duplicate, which
	// enqueues nothing, does not.
	we := watch(t, b, launchpad.JobStripeEvent)
	ev := &launchpad.StripeEvent{ID: "evt_2", Type: "invoice.paid"}
	if ok, err := a.RecordStripeEvent(t.Context(), ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_2"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	we.wait(t, "a recorded Stripe event's job")
	if ok, err := a.RecordStripeEvent(t.Context(), ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_2"}); err != nil || ok {
		t.Fatal(ok, err)
	}
	we.none(t, 300*time.Millisecond, "a duplicate delivery woke the workers")

	// A job that waits for its key wakes the workers when the job holding the key finishes.
	now := time.Now()
	first, err := a.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "w1", Kinds: []string{launchpad.JobApply}, Lease: time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.EnqueueJob(t.Context(), &launchpad.Job{Kind: launchpad.JobApply, Key: "u1"}); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "the second job of u1")
	if _, err := a.FinishJob(t.Context(), first.ID, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, now); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "u1's first job finishing, which lets its second run")
}

// TestNotifyJobsSurvivesALostConnection: when the server ends the listening session (a
// restart, a failover, an operator's pg_terminate_backend), NotifyJobs wakes the workers at
// once (a notification may have been lost), connects again, and keeps notifying.
func TestNotifyJobsSurvivesALostConnection(t *testing.T) {
	url := freshURL(t)
	db := openStore(t, url, postgres.Options{})
	w := watch(t, db)
	execSQL(t, url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' || current_schema() || '%' AND pid <> pg_backend_pid()`)
	w.wait(t, "the wake-up after the connection was lost")
	w.wait(t, "the wake-up after it listens again")
	if _, err := db.EnqueueJob(t.Context(), &launchpad.Job{Kind: launchpad.JobApply, Key: "u1"}); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "a job enqueued after the reconnection")
}

// TestNotifyJobsReturnsWhenTheStoreCloses: Close ends a NotifyJobs in progress.
func TestNotifyJobsReturnsWhenTheStoreCloses(t *testing.T) {
	db, err := postgres.Open(context.Background(), freshURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.NotifyJobs(context.Background(), nil, func() {}) }()
	time.Sleep(200 * time.Millisecond)
	db.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("NotifyJobs returned %v after Close", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("NotifyJobs did not return within 10s of Close")
	}
}
