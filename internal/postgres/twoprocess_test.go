package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

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
// reading the store alone.
const (
	helperURLEnv   = "LAUNCHPAD_POSTGRES_HELPER_URL"   // the schema's URL; set only in workers
	helperNameEnv  = "LAUNCHPAD_POSTGRES_HELPER_NAME"  // the worker's name
	helperStartEnv = "LAUNCHPAD_POSTGRES_HELPER_START" // Unix ms at which both start

	twoProcEvents = 200
	twoProcJobs   = 50

	streamClaimed  = "twoproc-claimed"  // one event per claim: Target the job id
	streamRecorded = "twoproc-recorded" // one event per recorded Stripe event: Target its id
)

func TestTwoProcessesShareOnePostgreSQL(t *testing.T) {
	url := freshURL(t)
	s := openStore(t, url, postgres.Options{})
	ctx := t.Context()
	start := time.Now()
	applyJobs := map[string]bool{}
	for i := range twoProcJobs {
		j, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprintf("user-%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		applyJobs[j.ID] = true
	}

	startAt := time.Now().Add(2 * time.Second).UnixMilli() // both processes are up by then
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"proc-a", "proc-b"} {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), helperURLEnv+"="+url, helperNameEnv+"="+name, helperStartEnv+"="+strconv.FormatInt(startAt, 10))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("worker %s: %v\n%s", name, err, out.Bytes())
			} else {
				t.Logf("worker %s:\n%s", name, out.Bytes())
			}
		})
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
		twoProcEvents, len(eventJobs), twoProcJobs, len(claims)+len(recordings), time.Since(start).Round(time.Millisecond), perProcess)
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
	startAt, _ := strconv.ParseInt(os.Getenv(helperStartEnv), 10, 64)
	time.Sleep(time.Until(time.UnixMilli(startAt)))

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
	t.Logf("%s: apply jobs claimed after %s", name, time.Since(time.UnixMilli(startAt)).Round(time.Millisecond))

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
		name, time.Since(time.UnixMilli(startAt)).Round(time.Millisecond), woken, polled)
}

// allEventJobsDone reports whether every event has its job and none is queued or running.
func allEventJobsDone(ctx context.Context, s launchpad.Store) (bool, error) {
	all, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	if err != nil || len(all) < twoProcEvents {
		return false, err
	}
	for _, j := range all {
		if j.Status == launchpad.JobQueued || j.Status == launchpad.JobRunning {
			return false, nil
		}
	}
	return true, nil
}
