package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
)

// The two-process test: this test binary runs itself twice more as worker processes, each with
// its own store (its own connection pool and its own LISTEN connection) on one schema. First
// both race to claim 50 apply jobs; then both receive every one of 200 Stripe events and race
// to record them, while 4 workers in each process claim and finish the events' jobs, woken by
// NOTIFY when the other process enqueues one. The processes report nothing but through the
// store: each claim and each recording is appended to an audit stream, so the parent checks the
// outcome — and that two processes appending to one stream still form one hash chain — by
// reading the store alone. They start together through the database too: each, once its store
// is open, waits for a shared advisory lock that the parent holds until both wait for it.
const (
	helperURLEnv     = "LAUNCHPAD_POSTGRES_HELPER_URL"     // the schema's URL; set only in workers
	helperNameEnv    = "LAUNCHPAD_POSTGRES_HELPER_NAME"    // the worker's name
	helperBarrierEnv = "LAUNCHPAD_POSTGRES_HELPER_BARRIER" // the advisory lock the workers wait on

	twoProcEvents = 200
	twoProcJobs   = 50

	streamClaimed  = "twoproc-claimed"  // one event per claim: Target the job id
	streamRecorded = "twoproc-recorded" // one event per recorded Stripe event: Target its id
)

func TestTwoProcessesShareOnePostgreSQL(t *testing.T) {
	url := freshURL(t)
	s := openStore(t, url, postgres.Options{})
	ctx := t.Context()
	applyJobs := map[string]bool{}
	for i := range twoProcJobs {
		j, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprintf("user-%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		applyJobs[j.ID] = true
	}

	// The barrier: an advisory lock held here until both workers wait for it.
	barrier := rand.Int64N(1 << 31)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, barrier); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"proc-a", "proc-b"} {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), helperURLEnv+"="+url, helperNameEnv+"="+name, helperBarrierEnv+"="+strconv.FormatInt(barrier, 10))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("worker %s: %v\n%s", name, err, out.Bytes())
			} else {
				t.Logf("worker %s:\n%s", name, out.Bytes())
			}
		})
	}
	deadline := time.Now().Add(time.Minute)
	for waiting := 0; waiting < 2; {
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND objsubid = 1 AND classid = 0 AND objid::bigint = $1 AND NOT granted`, barrier).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 2 workers reached the start barrier within a minute", waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
	started := time.Now()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, barrier); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	claims := readStream(t, s, streamClaimed)
	recordings := readStream(t, s, streamRecorded)
	claimedBy, recordedBy := map[string][]string{}, map[string][]string{}
	for _, e := range claims {
		claimedBy[e.Target] = append(claimedBy[e.Target], e.Actor)
	}
	for _, e := range recordings {
		recordedBy[e.Target] = append(recordedBy[e.Target], e.Actor)
	}

	// Every event recorded exactly once, by one of the two processes, with one job, claimed
	// once and succeeded at its first attempt.
	perProcess := map[string]int{}
	for i := range twoProcEvents {
		id := twoProcEventID(i)
		if len(recordedBy[id]) != 1 {
			t.Errorf("event %s was recorded %d times (by %v), want exactly once", id, len(recordedBy[id]), recordedBy[id])
		}
		for _, p := range recordedBy[id] {
			perProcess["recorded by "+p]++
		}
	}
	eventJobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(eventJobs) != twoProcEvents {
		t.Errorf("%d stripe_event jobs, want one per event (%d)", len(eventJobs), twoProcEvents)
	}
	for _, j := range eventJobs {
		if j.Status != launchpad.JobSucceeded || j.Attempts != 1 || len(claimedBy[j.ID]) != 1 {
			t.Errorf("job %s of event %s is %s after %d attempts, claimed by %v; want succeeded after 1, claimed once", j.ID, j.Key, j.Status, j.Attempts, claimedBy[j.ID])
		}
	}
	for id := range applyJobs {
		if len(claimedBy[id]) != 1 {
			t.Errorf("apply job %s was claimed %d times (by %v), want exactly once", id, len(claimedBy[id]), claimedBy[id])
		}
		for _, p := range claimedBy[id] {
			perProcess["apply jobs claimed by "+p]++
		}
	}
	// Both processes appended to the same two streams all along: each is still one chain.
	for name, events := range map[string][]*launchpad.AuditEvent{streamClaimed: claims, streamRecorded: recordings} {
		if err := launchpad.VerifyChain(nil, events); err != nil {
			t.Errorf("audit stream %s, appended to by both processes: %v", name, err)
		}
	}
	t.Logf("MEASURED two processes on one PostgreSQL: %d events recorded once each, %d event jobs and %d apply jobs claimed once each, %d audit events in two chains, in %s (%v)",
		twoProcEvents, len(eventJobs), twoProcJobs, len(claims)+len(recordings), time.Since(started).Round(time.Millisecond), perProcess)
}

func twoProcEventID(i int) string { return fmt.Sprintf("evt_twoproc_%03d", i) }

// readStream reads a whole audit stream in Seq order.
func readStream(t *testing.T, s launchpad.Store, stream string) []*launchpad.AuditEvent {
	t.Helper()
	var out []*launchpad.AuditEvent
	for {
		var after int64
		if len(out) > 0 {
			after = out[len(out)-1].Seq
		}
		page, err := s.ListAudit(t.Context(), launchpad.AuditFilter{Stream: stream, AfterSeq: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

// TestHelperProcess is a worker of TestTwoProcessesShareOnePostgreSQL; it does nothing unless
// that test started it.
func TestHelperProcess(t *testing.T) {
	name := os.Getenv(helperNameEnv)
	if name == "" {
		t.Skip("a worker process of TestTwoProcessesShareOnePostgreSQL, run only by it")
	}
	s := openStore(t, serverURL, postgres.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	note := func(stream, target string) {
		if _, err := s.AppendAudit(ctx, &launchpad.AuditEvent{Stream: stream, Actor: name, Action: "test.twoproc", Target: target}); err != nil {
			t.Errorf("AppendAudit(%s, %s): %v", stream, target, err)
		}
	}
	// Wait at the barrier until the parent lets both workers go.
	barrier, _ := strconv.ParseInt(os.Getenv(helperBarrierEnv), 10, 64)
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock_shared($1)`, barrier); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	startAt := time.Now()

	// Phase 1: 4 claimers per process take the apply jobs until none is left.
	var claimers sync.WaitGroup
	for p := range 4 {
		claimers.Go(func() {
			worker := fmt.Sprintf("%s/apply-%d", name, p)
			for ctx.Err() == nil {
				j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: worker, Kinds: []string{launchpad.JobApply}, Lease: 5 * time.Minute})
				switch launchpad.ErrorCode(err) {
				case "":
					note(streamClaimed, j.ID)
				case launchpad.ECONFLICT:
				case launchpad.ENOTFOUND:
					return
				default:
					t.Errorf("claim apply: %v", err)
					return
				}
			}
		})
	}
	claimers.Wait()
	t.Logf("%s: apply jobs claimed after %s", name, time.Since(startAt).Round(time.Millisecond))

	// Phase 2: deliver every event (8 at a time) while 4 workers process the events' jobs,
	// sleeping when there is none until NOTIFY (or a 2-second fallback) wakes them.
	wake := make(chan struct{}, 1)
	go func() {
		_ = s.NotifyJobs(ctx, []string{launchpad.JobStripeEvent}, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	}()
	next := make(chan int)
	var deliveries sync.WaitGroup
	for range 8 {
		deliveries.Go(func() {
			for i := range next {
				id := twoProcEventID(i)
				ev := &launchpad.StripeEvent{ID: id, Type: "customer.subscription.updated", Payload: []byte(`{"id":"` + id + `"}`)}
				ok, err := s.RecordStripeEvent(ctx, ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id})
				if err != nil {
					t.Errorf("RecordStripeEvent(%s): %v", id, err)
				} else if ok {
					note(streamRecorded, id)
				}
			}
		})
	}
	go func() {
		for i := range twoProcEvents {
			next <- i
		}
		close(next)
	}()
	var workers sync.WaitGroup
	woken, polled := 0, 0
	var mu sync.Mutex
	for p := range 4 {
		workers.Go(func() {
			worker := fmt.Sprintf("%s/%d", name, p)
			for ctx.Err() == nil {
				j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: worker, Kinds: []string{launchpad.JobStripeEvent}, Lease: 5 * time.Minute})
				switch launchpad.ErrorCode(err) {
				case "":
					note(streamClaimed, j.ID)
					if _, err := s.FinishJob(ctx, j.ID, worker, launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Time{}); err != nil {
						t.Errorf("FinishJob(%s): %v", j.ID, err)
					}
					continue
				case launchpad.ECONFLICT:
					continue
				case launchpad.ENOTFOUND:
				default:
					t.Errorf("claim: %v", err)
					return
				}
				if done, err := allEventJobsDone(ctx, s); err != nil || done {
					if err != nil {
						t.Error(err)
					}
					return
				}
				select {
				case <-wake:
					mu.Lock()
					woken++
					mu.Unlock()
				case <-time.After(2 * time.Second):
					mu.Lock()
					polled++
					mu.Unlock()
				case <-ctx.Done():
				}
			}
		})
	}
	deliveries.Wait()
	workers.Wait()
	t.Logf("%s: event jobs done after %s; idle workers woken by NOTIFY %d times, by the 2s fallback %d times",
		name, time.Since(startAt).Round(time.Millisecond), woken, polled)
}

// allEventJobsDone reports whether every event's job has succeeded.
func allEventJobsDone(ctx context.Context, s launchpad.Store) (bool, error) {
	done, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Status: launchpad.JobSucceeded, Limit: 1000})
	return len(done) == twoProcEvents, err
}
