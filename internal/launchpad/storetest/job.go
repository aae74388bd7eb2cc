package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func jobCases() []testCase {
	return []testCase{
		{"job/enqueue_get", testJobEnqueueGet},
		{"job/enqueue_defaults", testJobEnqueueDefaults},
		{"job/not_found", testJobNotFound},
		{"job/claim_oldest_first", testJobClaimOldestFirst},
		{"job/claim_respects_run_after", testJobClaimRunAfter},
		{"job/claim_kinds_filter", testJobClaimKinds},
		{"job/claim_sets_lease", testJobClaimSetsLease},
		{"job/claim_one_job_16_workers", testJobClaimOneWinner},
		{"job/claim_many_jobs_16_workers", testJobClaimManyWorkers},
		{"job/one_running_per_key", testJobOnePerKey},
		{"job/one_running_per_key_concurrent", testJobOnePerKeyConcurrent},
		{"job/empty_key_not_exclusive", testJobEmptyKey},
		{"job/lease_expiry_reclaim", testJobLeaseExpiry},
		{"job/heartbeat_extends_lease", testJobHeartbeat},
		{"job/finish_succeeded", testJobFinishSucceeded},
		{"job/finish_after_lost_lease_conflict", testJobFinishLostLease},
		{"job/finish_invalid", testJobFinishInvalid},
		{"job/retry_run_after", testJobRetry},
		{"job/failed_without_retry", testJobFailedNoRetry},
		{"job/retries_exhausted", testJobRetriesExhausted},
		{"job/max_attempts_by_lease_expiry", testJobMaxAttemptsLeaseExpiry},
		{"job/default_max_attempts", testJobDefaultMaxAttempts},
		{"job/supersede", testJobSupersede},
		{"job/list_filters", testJobList},
	}
}

// enqueue stores j and fails t on error.
func enqueue(t *testing.T, s launchpad.Store, j *launchpad.Job) *launchpad.Job {
	t.Helper()
	got, err := s.EnqueueJob(t.Context(), j)
	wantOK(t, err, "EnqueueJob")
	return got
}

// claim claims for worker at now with a one-minute lease and fails t unless it gets a job.
func claim(t *testing.T, s launchpad.Store, worker string, now time.Time) *launchpad.Job {
	t.Helper()
	j, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: worker, Lease: time.Minute, Now: now})
	wantOK(t, err, fmt.Sprintf("ClaimJob by %s at t0%+v", worker, now.Sub(t0)))
	return j
}

// claimNone fails t unless nothing is runnable for worker at now.
func claimNone(t *testing.T, s launchpad.Store, worker string, now time.Time, why string) {
	t.Helper()
	j, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: worker, Lease: time.Minute, Now: now})
	if err == nil {
		t.Fatalf("ClaimJob at t0%+v claimed job %s (key %q, attempt %d); want none: %s", now.Sub(t0), j.ID, j.Key, j.Attempts, why)
	}
	wantCode(t, err, launchpad.ENOTFOUND, "ClaimJob: "+why)
}

func getJob(t *testing.T, s launchpad.Store, id string) *launchpad.Job {
	t.Helper()
	j, err := s.GetJob(t.Context(), id)
	wantOK(t, err, "GetJob")
	return j
}

func testJobEnqueueGet(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	in := newJob(launchpad.JobApply, "u1", at(0))
	in.ID = "job-1"
	in.MaxAttempts = 3
	in.Payload = randomBytes(5, 3000)
	got := enqueue(t, s, in)
	want := &launchpad.Job{
		ID: "job-1", Kind: launchpad.JobApply, Key: "u1", Payload: randomBytes(5, 3000),
		Status: launchpad.JobQueued, MaxAttempts: 3, RunAfter: at(0), CreatedAt: at(0),
	}
	wantEqual(t, "EnqueueJob result", got, want)
	wantEqual(t, "GetJob", getJob(t, s, "job-1"), want)

	in.Payload[0]++ // the caller's slice is not the stored one
	got.Payload[1]++
	wantEqual(t, "GetJob after mutating the argument and the result", getJob(t, s, "job-1"), want)

	dup := newJob(launchpad.JobApply, "u2", at(time.Second))
	dup.ID = "job-1"
	_, err := s.EnqueueJob(ctx, dup)
	wantCode(t, err, launchpad.ECONFLICT, "EnqueueJob with a taken id")
	wantEqual(t, "job after a refused duplicate", getJob(t, s, "job-1"), want)
}

func testJobEnqueueDefaults(t *testing.T, s launchpad.Store) {
	got := enqueue(t, s, &launchpad.Job{Kind: launchpad.JobApply, Key: "u1", Status: launchpad.JobSucceeded})
	if got.ID == "" || got.CreatedAt.IsZero() || got.RunAfter.IsZero() {
		t.Fatalf("EnqueueJob left ID/CreatedAt/RunAfter zero: %+v", got)
	}
	if got.Status != launchpad.JobQueued {
		t.Fatalf("EnqueueJob stored status %q, want %q whatever the caller set", got.Status, launchpad.JobQueued)
	}
	wantUTC(t, "times set by EnqueueJob", got.CreatedAt, got.RunAfter)
	other := enqueue(t, s, &launchpad.Job{Kind: launchpad.JobApply, Key: "u2"})
	if other.ID == got.ID {
		t.Fatalf("two jobs got the same id %q", got.ID)
	}
	// A job enqueued without RunAfter is runnable at once.
	j := claim(t, s, "w1", at(0))
	if j.ID != got.ID {
		t.Fatalf("claimed %s, want the first job %s", j.ID, got.ID)
	}
}

func testJobNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetJob(ctx, "missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetJob of a missing job")
	_, err = s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w1", Lease: time.Minute, Now: at(0)})
	wantCode(t, err, launchpad.ENOTFOUND, "ClaimJob on an empty queue")
	wantCode(t, s.HeartbeatJob(ctx, "missing", "w1", time.Minute, at(0)), launchpad.ENOTFOUND, "HeartbeatJob of a missing job")
	_, err = s.FinishJob(ctx, "missing", "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(0))
	wantCode(t, err, launchpad.ENOTFOUND, "FinishJob of a missing job")
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{})
	wantOK(t, err, "ListJobs on an empty store")
	if len(jobs) != 0 {
		t.Fatalf("ListJobs on an empty store returned %d", len(jobs))
	}
}

func testJobClaimOldestFirst(t *testing.T, s launchpad.Store) {
	// Created 1s, 2s, 3s after t0, enqueued out of order, all runnable since t0: the order of
	// claims is the order of creation.
	ids := map[int]string{}
	for _, n := range []int{2, 3, 1} {
		j := newJob(launchpad.JobApply, fmt.Sprintf("u%d", n), at(time.Duration(n)*time.Second))
		j.RunAfter = at(0)
		ids[n] = enqueue(t, s, j).ID
	}
	for n := 1; n <= 3; n++ {
		if got := claim(t, s, "w1", at(time.Minute)); got.ID != ids[n] {
			t.Fatalf("claim #%d took job %s (key %s), want the oldest left, %s (u%d)", n, got.ID, got.Key, ids[n], n)
		}
	}
	claimNone(t, s, "w1", at(time.Minute), "every job is running")
}

func testJobClaimRunAfter(t *testing.T, s launchpad.Store) {
	j := newJob(launchpad.JobApply, "u1", at(0))
	j.RunAfter = at(time.Hour)
	id := enqueue(t, s, j).ID
	claimNone(t, s, "w1", at(time.Minute), "the only job's RunAfter is an hour away")
	claimNone(t, s, "w1", at(time.Hour-time.Microsecond), "the only job's RunAfter is a microsecond away")
	if got := claim(t, s, "w1", at(time.Hour)); got.ID != id {
		t.Fatalf("claimed %s, want %s", got.ID, id)
	}
}

func testJobClaimKinds(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	apply := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	event := enqueue(t, s, newJob(launchpad.JobStripeEvent, "evt_1", at(time.Second))).ID

	_, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w1", Kinds: []string{"other"}, Lease: time.Minute, Now: at(time.Minute)})
	wantCode(t, err, launchpad.ENOTFOUND, "ClaimJob of a kind nobody enqueued")
	got, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w1", Kinds: []string{"other", launchpad.JobStripeEvent}, Lease: time.Minute, Now: at(time.Minute)})
	wantOK(t, err, "ClaimJob(stripe_event)")
	if got.ID != event {
		t.Fatalf("ClaimJob(stripe_event) took %s (%s), want the stripe_event job %s", got.ID, got.Kind, event)
	}
	got, err = s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w1", Lease: time.Minute, Now: at(time.Minute)})
	wantOK(t, err, "ClaimJob(any kind)")
	if got.ID != apply {
		t.Fatalf("ClaimJob(any kind) took %s, want %s", got.ID, apply)
	}
}

func testJobClaimSetsLease(t *testing.T, s launchpad.Store) {
	in := newJob(launchpad.JobApply, "u1", at(0))
	id := enqueue(t, s, in).ID
	now := at(90 * time.Second)
	got, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "worker-a", Lease: 45 * time.Second, Now: now})
	wantOK(t, err, "ClaimJob")
	if got.ID != id || got.Status != launchpad.JobRunning || got.LeaseOwner != "worker-a" || got.Attempts != 1 {
		t.Fatalf("claimed job = id %s status %q owner %q attempts %d; want %s running worker-a 1", got.ID, got.Status, got.LeaseOwner, got.Attempts, id)
	}
	if !got.LeaseExpiresAt.Equal(now.Add(45*time.Second)) || !got.StartedAt.Equal(now) {
		t.Fatalf("claimed job lease until %s started %s; want %s and %s", got.LeaseExpiresAt, got.StartedAt, now.Add(45*time.Second), now)
	}
	wantUTC(t, "lease times", got.LeaseExpiresAt, got.StartedAt)
	wantEqual(t, "GetJob of the claimed job", getJob(t, s, id), got)
}

// raceClaims has concurrency workers (w00, w01, …) claim a job at once, one try each, and
// returns what each got (nil: nothing). A claimer that loses may see ENOTFOUND or ECONFLICT,
// nothing else.
func raceClaims(t *testing.T, s launchpad.Store) []*launchpad.Job {
	t.Helper()
	got := make([]*launchpad.Job, concurrency)
	Race(concurrency, func(i int) {
		j, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: fmt.Sprintf("w%02d", i), Lease: time.Minute, Now: at(time.Second)})
		switch launchpad.ErrorCode(err) {
		case "":
			got[i] = j
		case launchpad.ENOTFOUND, launchpad.ECONFLICT:
		default:
			t.Errorf("claimer %d: %v", i, err)
		}
	})
	return got
}

func testJobClaimOneWinner(t *testing.T, s launchpad.Store) {
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	got := raceClaims(t, s)
	winner := -1
	for i, j := range got {
		if j == nil {
			continue
		}
		if winner >= 0 {
			t.Fatalf("workers %d and %d both claimed job %s", winner, i, id)
		}
		winner = i
	}
	if winner < 0 {
		t.Fatal("none of the concurrent claimers got the job")
	}
	stored := getJob(t, s, id)
	if stored.LeaseOwner != fmt.Sprintf("w%02d", winner) || stored.Attempts != 1 {
		t.Fatalf("stored job is leased to %q with %d attempts; the winner was w%02d", stored.LeaseOwner, stored.Attempts, winner)
	}
}

func testJobClaimManyWorkers(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	const jobs = 40
	want := map[string]bool{}
	for i := range jobs {
		want[enqueue(t, s, newJob(launchpad.JobApply, fmt.Sprintf("u%02d", i), at(time.Duration(i)*time.Millisecond))).ID] = true
	}
	claimed := make([][]string, concurrency)
	Race(concurrency, func(i int) {
		for tries := 0; tries < 10*jobs; tries++ {
			j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: fmt.Sprintf("w%02d", i), Lease: time.Minute, Now: at(time.Second)})
			switch launchpad.ErrorCode(err) {
			case "":
				claimed[i] = append(claimed[i], j.ID)
				continue
			case launchpad.ECONFLICT:
				continue // lost a race; try again
			case launchpad.ENOTFOUND:
			default:
				t.Errorf("claimer %d: %v", i, err)
			}
			return
		}
	})
	seen := map[string]int{}
	for _, ids := range claimed {
		for _, id := range ids {
			seen[id]++
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("job %s was claimed %d times, want exactly once", id, seen[id])
		}
	}
	if len(seen) != jobs {
		t.Fatalf("%d distinct jobs claimed, want %d", len(seen), jobs)
	}
}

func testJobOnePerKey(t *testing.T, s launchpad.Store) {
	first := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	second := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(time.Second))).ID
	other := enqueue(t, s, newJob(launchpad.JobApply, "u2", at(2*time.Second))).ID

	if got := claim(t, s, "w1", at(time.Minute)); got.ID != first {
		t.Fatalf("claimed %s, want the oldest %s", got.ID, first)
	}
	if got := claim(t, s, "w2", at(time.Minute)); got.ID != other {
		t.Fatalf("claimed %s, want %s: u1's second job must wait while its first runs", got.ID, other)
	}
	claimNone(t, s, "w3", at(time.Minute+time.Second), "u1's first job holds a live lease")
	_, err := s.FinishJob(t.Context(), first, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(time.Minute+2*time.Second))
	wantOK(t, err, "FinishJob")
	if got := claim(t, s, "w3", at(time.Minute+3*time.Second)); got.ID != second {
		t.Fatalf("claimed %s, want u1's second job %s once the first finished", got.ID, second)
	}
}

func testJobOnePerKeyConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for i := range 8 {
		enqueue(t, s, newJob(launchpad.JobApply, "u1", at(time.Duration(i)*time.Millisecond)))
	}
	n := 0
	for _, j := range raceClaims(t, s) {
		if j != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d jobs of one key were claimed concurrently, want exactly 1 running per key", n)
	}
	running, err := s.ListJobs(ctx, launchpad.JobFilter{Key: "u1", Status: launchpad.JobRunning})
	wantOK(t, err, "ListJobs")
	if len(running) != 1 {
		t.Fatalf("%d running jobs for one key, want 1", len(running))
	}
}

func testJobEmptyKey(t *testing.T, s launchpad.Store) {
	a := enqueue(t, s, newJob(launchpad.JobStripeEvent, "", at(0))).ID
	b := enqueue(t, s, newJob(launchpad.JobStripeEvent, "", at(time.Second))).ID
	if got := claim(t, s, "w1", at(time.Minute)); got.ID != a {
		t.Fatalf("claimed %s, want %s", got.ID, a)
	}
	if got := claim(t, s, "w2", at(time.Minute)); got.ID != b {
		t.Fatalf("claimed %s, want %s: jobs without a key do not exclude each other", got.ID, b)
	}
}

func testJobLeaseExpiry(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	enqueue(t, s, newJob(launchpad.JobApply, "u1", at(time.Second))) // same key, waits behind it

	first := claim(t, s, "w1", at(10*time.Second)) // leased until t0+70s
	if first.ID != id {
		t.Fatalf("claimed %s, want %s", first.ID, id)
	}
	claimNone(t, s, "w2", at(40*time.Second), "the lease is live")

	// w1 died. After its lease expired another worker takes the same job over.
	again := claim(t, s, "w2", at(2*time.Minute))
	if again.ID != id || again.LeaseOwner != "w2" || again.Attempts != 2 || again.Status != launchpad.JobRunning {
		t.Fatalf("reclaim = job %s owner %q attempts %d status %q; want %s w2 2 running", again.ID, again.LeaseOwner, again.Attempts, again.Status, id)
	}
	if !again.LeaseExpiresAt.Equal(at(3 * time.Minute)) {
		t.Fatalf("reclaimed lease until %s, want %s", again.LeaseExpiresAt, at(3*time.Minute))
	}
	// The worker that lost the lease can neither extend nor finish it.
	wantCode(t, s.HeartbeatJob(ctx, id, "w1", time.Minute, at(2*time.Minute+time.Second)), launchpad.ECONFLICT, "HeartbeatJob by the worker that lost the lease")
	_, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(2*time.Minute+time.Second))
	wantCode(t, err, launchpad.ECONFLICT, "FinishJob by the worker that lost the lease")
	if got := getJob(t, s, id); got.LeaseOwner != "w2" || got.Status != launchpad.JobRunning {
		t.Fatalf("the lost worker's calls changed the job: owner %q status %q", got.LeaseOwner, got.Status)
	}
	wantOK(t, s.HeartbeatJob(ctx, id, "w2", time.Minute, at(2*time.Minute+time.Second)), "HeartbeatJob by the new owner")
}

func testJobHeartbeat(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(0)) // leased until t0+60s
	wantOK(t, s.HeartbeatJob(ctx, id, "w1", time.Minute, at(50*time.Second)), "HeartbeatJob")
	if got := getJob(t, s, id); !got.LeaseExpiresAt.Equal(at(110 * time.Second)) {
		t.Fatalf("after a heartbeat at t0+50s for 1m the lease ends %s, want %s", got.LeaseExpiresAt, at(110*time.Second))
	}
	claimNone(t, s, "w2", at(90*time.Second), "the heartbeat extended the lease past t0+90s")
	wantOK(t, s.HeartbeatJob(ctx, id, "w1", 2*time.Minute, at(100*time.Second)), "second HeartbeatJob")
	claimNone(t, s, "w2", at(200*time.Second), "the second heartbeat extended the lease to t0+220s")
	again := claim(t, s, "w2", at(221*time.Second))
	if again.ID != id || again.Attempts != 2 {
		t.Fatalf("after the extended lease expired w2 claimed %s with %d attempts, want %s with 2", again.ID, again.Attempts, id)
	}
	wantCode(t, s.HeartbeatJob(ctx, id, "w1", time.Minute, at(222*time.Second)), launchpad.ECONFLICT, "HeartbeatJob after the lease was lost")
}

func testJobFinishSucceeded(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(time.Second))
	summary := launchpad.PlanSummary{Add: 3, Change: 1, Destroy: 2}
	got, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded, Summary: summary}, at(30*time.Second))
	wantOK(t, err, "FinishJob")
	if got.Status != launchpad.JobSucceeded || got.Summary != summary || !got.FinishedAt.Equal(at(30*time.Second)) || got.Attempts != 1 {
		t.Fatalf("finished job = status %q summary %+v finished %s attempts %d", got.Status, got.Summary, got.FinishedAt, got.Attempts)
	}
	wantEqual(t, "GetJob of the finished job", getJob(t, s, id), got)
	claimNone(t, s, "w2", at(time.Hour), "the only job has finished")
	wantCode(t, s.HeartbeatJob(ctx, id, "w1", time.Minute, at(31*time.Second)), launchpad.ECONFLICT, "HeartbeatJob of a finished job")
	_, err = s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed}, at(32*time.Second))
	wantCode(t, err, launchpad.ECONFLICT, "FinishJob twice")
	if got := getJob(t, s, id); got.Status != launchpad.JobSucceeded {
		t.Fatalf("a second FinishJob changed the status to %q", got.Status)
	}
}

func testJobFinishLostLease(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	_, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(time.Second))
	wantCode(t, err, launchpad.ECONFLICT, "FinishJob of a job nobody claimed")
	claim(t, s, "w1", at(time.Second))
	_, err = s.FinishJob(ctx, id, "intruder", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(2*time.Second))
	wantCode(t, err, launchpad.ECONFLICT, "FinishJob by a worker that never held the lease")
	claim(t, s, "w2", at(5*time.Minute)) // w1's lease expired; w2 takes it
	_, err = s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed, Error: "late"}, at(5*time.Minute+time.Second))
	wantCode(t, err, launchpad.ECONFLICT, "FinishJob by the worker that lost the lease")
	got, err := s.FinishJob(ctx, id, "w2", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(5*time.Minute+2*time.Second))
	wantOK(t, err, "FinishJob by the owner")
	if got.Status != launchpad.JobSucceeded || got.Error != "" {
		t.Fatalf("finished job = status %q error %q", got.Status, got.Error)
	}
}

func testJobFinishInvalid(t *testing.T, s launchpad.Store) {
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(time.Second))
	for _, status := range []string{"", launchpad.JobRunning, launchpad.JobQueued, launchpad.JobSuperseded, "done"} {
		_, err := s.FinishJob(t.Context(), id, "w1", launchpad.JobResult{Status: status}, at(2*time.Second))
		wantCode(t, err, launchpad.EINVALID, fmt.Sprintf("FinishJob with status %q", status))
	}
	if got := getJob(t, s, id); got.Status != launchpad.JobRunning || got.LeaseOwner != "w1" {
		t.Fatalf("refused FinishJob calls changed the job: status %q owner %q", got.Status, got.LeaseOwner)
	}
}

func testJobRetry(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(time.Second))
	got, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed, Error: "fly: 503", RetryAt: at(10 * time.Minute)}, at(20*time.Second))
	wantOK(t, err, "FinishJob failed with RetryAt")
	if got.Status != launchpad.JobQueued || !got.RunAfter.Equal(at(10*time.Minute)) || got.Error != "fly: 503" || got.Attempts != 1 {
		t.Fatalf("retried job = status %q run after %s error %q attempts %d; want queued, %s, the error, 1", got.Status, got.RunAfter, got.Error, got.Attempts, at(10*time.Minute))
	}
	claimNone(t, s, "w2", at(5*time.Minute), "the retry is not due yet")
	again := claim(t, s, "w2", at(10*time.Minute))
	if again.ID != id || again.Attempts != 2 || again.LeaseOwner != "w2" {
		t.Fatalf("retry claim = %s attempts %d owner %q", again.ID, again.Attempts, again.LeaseOwner)
	}
}

func testJobFailedNoRetry(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(time.Second))
	got, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed, Error: "plan invalid"}, at(2*time.Second))
	wantOK(t, err, "FinishJob failed")
	if got.Status != launchpad.JobFailed || got.Error != "plan invalid" || !got.FinishedAt.Equal(at(2*time.Second)) {
		t.Fatalf("failed job = status %q error %q finished %s", got.Status, got.Error, got.FinishedAt)
	}
	claimNone(t, s, "w2", at(time.Hour), "a failed job without RetryAt is not retried")
}

func testJobRetriesExhausted(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	j := newJob(launchpad.JobApply, "u1", at(0))
	j.MaxAttempts = 2
	id := enqueue(t, s, j).ID
	claim(t, s, "w1", at(time.Second))
	_, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed, Error: "one", RetryAt: at(time.Minute)}, at(2*time.Second))
	wantOK(t, err, "FinishJob attempt 1")
	claim(t, s, "w1", at(time.Minute))
	got, err := s.FinishJob(ctx, id, "w1", launchpad.JobResult{Status: launchpad.JobFailed, Error: "two", RetryAt: at(2 * time.Minute)}, at(time.Minute+time.Second))
	wantOK(t, err, "FinishJob attempt 2")
	if got.Status != launchpad.JobFailed || got.Error != "two" || got.Attempts != 2 {
		t.Fatalf("after its last attempt the job is %q (error %q, attempts %d), want failed", got.Status, got.Error, got.Attempts)
	}
	claimNone(t, s, "w1", at(time.Hour), "the job has no attempts left")
}

func testJobMaxAttemptsLeaseExpiry(t *testing.T, s launchpad.Store) {
	j := newJob(launchpad.JobApply, "u1", at(0))
	j.MaxAttempts = 1
	dying := enqueue(t, s, j).ID
	claim(t, s, "w1", at(time.Second)) // the only attempt; w1 dies with it
	next := enqueue(t, s, newJob(launchpad.JobApply, "u2", at(time.Minute))).ID

	got := claim(t, s, "w2", at(time.Hour))
	if got.ID != next {
		t.Fatalf("claimed %s, want %s: the expired job has no attempts left", got.ID, next)
	}
	if d := getJob(t, s, dying); d.Status != launchpad.JobFailed {
		t.Fatalf("an expired job with no attempts left is %q, want failed", d.Status)
	}
	claimNone(t, s, "w3", at(time.Hour+30*time.Second), "the exhausted job must not be claimed again (and w2 holds the other)")
}

func testJobDefaultMaxAttempts(t *testing.T, s launchpad.Store) {
	id := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID // MaxAttempts 0: the default
	now := at(0)
	for attempt := 1; attempt <= launchpad.DefaultJobMaxAttempts; attempt++ {
		now = now.Add(time.Hour) // every previous lease has expired
		got := claim(t, s, fmt.Sprintf("w%d", attempt), now)
		if got.ID != id || got.Attempts != attempt {
			t.Fatalf("claim %d took %s with %d attempts", attempt, got.ID, got.Attempts)
		}
	}
	claimNone(t, s, "w-last", now.Add(time.Hour), fmt.Sprintf("the job used all %d default attempts", launchpad.DefaultJobMaxAttempts))
	if got := getJob(t, s, id); got.Status != launchpad.JobFailed {
		t.Fatalf("job after its attempts ran out is %q, want failed", got.Status)
	}
}

func testJobSupersede(t *testing.T, s launchpad.Store) {
	running := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	claim(t, s, "w1", at(time.Second))
	queued := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(2*time.Second))).ID
	otherKey := enqueue(t, s, newJob(launchpad.JobApply, "u2", at(3*time.Second))).ID
	otherKind := enqueue(t, s, newJob(launchpad.JobStripeEvent, "u1", at(4*time.Second))).ID

	newest := newJob(launchpad.JobApply, "u1", at(5*time.Second))
	newest.Supersede = true
	latest := enqueue(t, s, newest)
	if latest.Status != launchpad.JobQueued {
		t.Fatalf("the superseding job is %q, want queued", latest.Status)
	}
	for id, want := range map[string]string{
		running:   launchpad.JobRunning,
		queued:    launchpad.JobSuperseded,
		otherKey:  launchpad.JobQueued,
		otherKind: launchpad.JobQueued,
		latest.ID: launchpad.JobQueued,
	} {
		if got := getJob(t, s, id); got.Status != want {
			t.Errorf("job %s (key %s, kind %s) is %q, want %q", id, got.Key, got.Kind, got.Status, want)
		}
	}
	// A superseded job is never claimed.
	var claimed []string
	for {
		j, err := s.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "w2", Lease: time.Minute, Now: at(10 * time.Second)})
		if launchpad.IsNotFound(err) {
			break
		}
		wantOK(t, err, "ClaimJob")
		claimed = append(claimed, j.ID)
	}
	// The key excludes across kinds: otherKind (key u1) waits for u1's running apply.
	if want := []string{otherKey}; !slices.Equal(claimed, want) {
		t.Fatalf("claimed %v while u1's first job runs, want %v", claimed, want)
	}
}

func testJobList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	var ids []string
	for i := range 105 {
		kind, key := launchpad.JobApply, fmt.Sprintf("u%d", i%3)
		if i%5 == 0 {
			kind = launchpad.JobStripeEvent
		}
		ids = append(ids, enqueue(t, s, newJob(kind, key, at(time.Duration(i)*time.Second))).ID)
	}
	claimed := claim(t, s, "w1", at(time.Hour)) // the oldest: ids[0]

	all, err := s.ListJobs(ctx, launchpad.JobFilter{})
	wantOK(t, err, "ListJobs")
	if len(all) != 100 {
		t.Fatalf("ListJobs without a limit returned %d jobs, want the default 100", len(all))
	}
	if all[0].ID != ids[104] || all[99].ID != ids[5] {
		t.Fatalf("ListJobs is not newest first: first %s last %s, want %s and %s", all[0].ID, all[99].ID, ids[104], ids[5])
	}
	check := func(f launchpad.JobFilter, want []string) {
		t.Helper()
		got, err := s.ListJobs(ctx, f)
		wantOK(t, err, fmt.Sprintf("ListJobs(%+v)", f))
		var gotIDs []string
		for _, j := range got {
			gotIDs = append(gotIDs, j.ID)
			if (f.Kind != "" && j.Kind != f.Kind) || (f.Key != "" && j.Key != f.Key) || (f.Status != "" && j.Status != f.Status) {
				t.Fatalf("ListJobs(%+v) returned job %s of kind %s key %s status %s", f, j.ID, j.Kind, j.Key, j.Status)
			}
		}
		if !slices.Equal(gotIDs, want) {
			t.Fatalf("ListJobs(%+v) = %v, want %v", f, gotIDs, want)
		}
	}
	check(launchpad.JobFilter{Status: launchpad.JobRunning}, []string{claimed.ID})
	check(launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Key: "u1", Limit: 3}, []string{ids[100], ids[85], ids[70]})
	check(launchpad.JobFilter{Kind: launchpad.JobApply, Key: "u2", Status: launchpad.JobQueued, Limit: 2}, []string{ids[104], ids[101]})
	check(launchpad.JobFilter{Key: "nobody"}, nil)
	got, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	wantOK(t, err, "ListJobs(stripe_event)")
	if len(got) != 21 {
		t.Fatalf("ListJobs(stripe_event) returned %d, want 21", len(got))
	}
}
