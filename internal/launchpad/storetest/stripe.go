package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func stripeEventCases() []testCase {
	return []testCase{
		{"stripe_event/record_get", testStripeRecordGet},
		{"stripe_event/duplicate_writes_nothing", testStripeDuplicate},
		{"stripe_event/record_enqueues_job_atomically", testStripeRecordJobAtomic},
		{"stripe_event/dedup_16_concurrent_writers", testStripeDedupConcurrent},
		{"stripe_event/distinct_events_concurrent", testStripeDistinctConcurrent},
		{"stripe_event/update", testStripeUpdate},
		{"stripe_event/list_newest_first", testStripeList},
	}
}

func testStripeRecordGet(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetStripeEvent(ctx, "evt_missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetStripeEvent of a missing event")

	ev := newStripeEvent("evt_1", at(0))
	ev.Payload = randomBytes(3, 20000) // the raw body is kept byte for byte, whatever it holds
	ok, err := s.RecordStripeEvent(ctx, ev, nil)
	wantOK(t, err, "RecordStripeEvent")
	if !ok {
		t.Fatal("RecordStripeEvent of a new event returned recorded = false")
	}
	got, err := s.GetStripeEvent(ctx, "evt_1")
	wantOK(t, err, "GetStripeEvent")
	want := newStripeEvent("evt_1", at(0))
	want.Payload = randomBytes(3, 20000)
	wantEqual(t, "GetStripeEvent", got, want)

	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{})
	wantOK(t, err, "ListJobs")
	if len(jobs) != 0 {
		t.Fatalf("RecordStripeEvent with a nil job enqueued %d jobs", len(jobs))
	}
}

func testStripeDuplicate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	job := &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "cus_1", Payload: []byte(`{"event":"evt_1"}`)}
	ok, err := s.RecordStripeEvent(ctx, newStripeEvent("evt_1", at(0)), job)
	wantOK(t, err, "RecordStripeEvent")
	if !ok {
		t.Fatal("first RecordStripeEvent returned false")
	}
	replay := newStripeEvent("evt_1", at(time.Hour))
	replay.Payload = []byte(`{"replayed":true}`)
	replay.Type = "invoice.paid"
	ok, err = s.RecordStripeEvent(ctx, replay, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "cus_1", Payload: []byte(`{"event":"evt_1"}`)})
	wantOK(t, err, "RecordStripeEvent of a duplicate")
	if ok {
		t.Fatal("RecordStripeEvent of a duplicate returned recorded = true")
	}
	got, err := s.GetStripeEvent(ctx, "evt_1")
	wantOK(t, err, "GetStripeEvent")
	wantEqual(t, "event after a duplicate delivery", got, newStripeEvent("evt_1", at(0)))
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent})
	wantOK(t, err, "ListJobs")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after a duplicate delivery, want 1", len(jobs))
	}
	j := jobs[0]
	if j.Status != launchpad.JobQueued || j.Key != "cus_1" || string(j.Payload) != `{"event":"evt_1"}` || j.ID == "" || j.CreatedAt.IsZero() || j.RunAfter.IsZero() {
		t.Fatalf("the job RecordStripeEvent enqueued is %+v, want a queued job with its key, payload, id and times", j)
	}
}

func testStripeRecordJobAtomic(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	taken := newJob(launchpad.JobApply, "u1", at(0))
	taken.ID = "job-taken"
	_, err := s.EnqueueJob(ctx, taken)
	wantOK(t, err, "EnqueueJob")
	// The job cannot be stored (its id is taken), so the event must not be recorded either:
	// otherwise Stripe's retry would be dropped as a duplicate and the event never processed.
	clash := newJob(launchpad.JobStripeEvent, "cus_1", at(0))
	clash.ID = "job-taken"
	ok, err := s.RecordStripeEvent(ctx, newStripeEvent("evt_1", at(0)), clash)
	if err == nil || ok {
		t.Fatalf("RecordStripeEvent with an unstorable job = (%v, %v), want an error", ok, err)
	}
	_, err = s.GetStripeEvent(ctx, "evt_1")
	wantCode(t, err, launchpad.ENOTFOUND, "the event whose job failed to enqueue")

	ok, err = s.RecordStripeEvent(ctx, newStripeEvent("evt_1", at(0)), newJob(launchpad.JobStripeEvent, "cus_1", at(0)))
	wantOK(t, err, "RecordStripeEvent retried")
	if !ok {
		t.Fatal("the retried delivery was not recorded")
	}
}

func testStripeDedupConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	recorded := make([]bool, concurrency)
	Race(concurrency, func(i int) {
		ev := newStripeEvent("evt_same", at(time.Duration(i)*time.Millisecond))
		job := &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "evt_same", Payload: []byte(fmt.Sprint(i))}
		ok, err := s.RecordStripeEvent(ctx, ev, job)
		if err != nil {
			t.Errorf("writer %d: %v (duplicates must return false, nil)", i, err)
		}
		recorded[i] = ok
	})
	winners := 0
	winner := -1
	for i, ok := range recorded {
		if ok {
			winners++
			winner = i
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d concurrent writers recorded the same event, want exactly 1", winners, concurrency)
	}
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent})
	wantOK(t, err, "ListJobs")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs enqueued for one event, want exactly 1", len(jobs))
	}
	if string(jobs[0].Payload) != fmt.Sprint(winner) {
		t.Fatalf("the enqueued job is writer %s's, but writer %d recorded the event", jobs[0].Payload, winner)
	}
	got, err := s.GetStripeEvent(ctx, "evt_same")
	wantOK(t, err, "GetStripeEvent")
	wantEqual(t, "the recorded event (the winner's)", got, newStripeEvent("evt_same", at(time.Duration(winner)*time.Millisecond)))
}

func testStripeDistinctConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	const perWriter = 4
	Race(concurrency, func(i int) {
		for j := range perWriter {
			id := fmt.Sprintf("evt_%02d_%d", i, j)
			ok, err := s.RecordStripeEvent(ctx, newStripeEvent(id, at(time.Duration(i*perWriter+j)*time.Second)),
				&launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id})
			if err != nil || !ok {
				t.Errorf("RecordStripeEvent(%s) = (%v, %v), want (true, nil)", id, ok, err)
			}
		}
	})
	events, err := s.ListStripeEvents(ctx, 1000)
	wantOK(t, err, "ListStripeEvents")
	if len(events) != concurrency*perWriter {
		t.Fatalf("%d events stored, want %d", len(events), concurrency*perWriter)
	}
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	wantOK(t, err, "ListJobs")
	keys := map[string]int{}
	for _, j := range jobs {
		keys[j.Key]++
	}
	if len(jobs) != concurrency*perWriter || len(keys) != concurrency*perWriter {
		t.Fatalf("%d jobs for %d distinct keys, want one job per event (%d)", len(jobs), len(keys), concurrency*perWriter)
	}
}

func testStripeUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.UpdateStripeEvent(ctx, "evt_missing", func(*launchpad.StripeEvent) error { return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdateStripeEvent of a missing event")

	ev := newStripeEvent("evt_1", at(0))
	ev.ProcessedAt = time.Time{}
	_, err = s.RecordStripeEvent(ctx, ev, nil)
	wantOK(t, err, "RecordStripeEvent")
	got, err := s.UpdateStripeEvent(ctx, "evt_1", func(e *launchpad.StripeEvent) error {
		e.ProcessedAt = at(time.Minute)
		e.Error = "plan for price_x is unknown"
		return nil
	})
	wantOK(t, err, "UpdateStripeEvent")
	want := newStripeEvent("evt_1", at(0))
	want.ProcessedAt = at(time.Minute)
	want.Error = "plan for price_x is unknown"
	wantEqual(t, "UpdateStripeEvent result", got, want)
	got, err = s.GetStripeEvent(ctx, "evt_1")
	wantOK(t, err, "GetStripeEvent")
	wantEqual(t, "GetStripeEvent after UpdateStripeEvent", got, want)

	sentinel := errors.New("caller says no")
	_, err = s.UpdateStripeEvent(ctx, "evt_1", func(e *launchpad.StripeEvent) error { e.Error = ""; return sentinel })
	if !errors.Is(err, sentinel) {
		t.Fatalf("UpdateStripeEvent returned %v, want fn's error", err)
	}
	_, err = s.UpdateStripeEvent(ctx, "evt_1", func(e *launchpad.StripeEvent) error { e.ID = "evt_2"; return nil })
	wantCode(t, err, launchpad.EINVALID, "UpdateStripeEvent changing ID")
	got, err = s.GetStripeEvent(ctx, "evt_1")
	wantOK(t, err, "GetStripeEvent")
	wantEqual(t, "event after refused updates", got, want)
}

func testStripeList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	events, err := s.ListStripeEvents(ctx, 10)
	wantOK(t, err, "ListStripeEvents on an empty store")
	if len(events) != 0 {
		t.Fatalf("ListStripeEvents on an empty store returned %d", len(events))
	}
	for i, id := range []string{"evt_b", "evt_d", "evt_a", "evt_c"} {
		// received at b=0s, d=3s, a=1s, c=2s
		received := []time.Duration{0, 3 * time.Second, time.Second, 2 * time.Second}[i]
		_, err := s.RecordStripeEvent(ctx, newStripeEvent(id, at(received)), nil)
		wantOK(t, err, "RecordStripeEvent "+id)
	}
	events, err = s.ListStripeEvents(ctx, 3)
	wantOK(t, err, "ListStripeEvents")
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[evt_d evt_c evt_a]" {
		t.Fatalf("ListStripeEvents(3) = %v, want [evt_d evt_c evt_a] (newest received first)", ids)
	}
	wantEqual(t, "listed event", events[0], newStripeEvent("evt_d", at(3*time.Second)))
	events[0].Payload[0] = 'X'
	got, err := s.GetStripeEvent(ctx, "evt_d")
	wantOK(t, err, "GetStripeEvent")
	wantEqual(t, "event after mutating a listed copy", got, newStripeEvent("evt_d", at(3*time.Second)))
}
