package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func auditCases() []testCase {
	return []testCase{
		{"audit/append_assigns_seq_and_chain", testAuditAppend},
		{"audit/append_keeps_given_id_and_time", testAuditGivenIDTime},
		{"audit/append_requires_stream_and_action", testAuditInvalid},
		{"audit/concurrent_appends_one_chain", testAuditConcurrent},
		{"audit/streams_are_independent", testAuditStreams},
		{"audit/list_filters", testAuditFilters},
		{"audit/list_default_limit", testAuditDefaultLimit},
	}
}

func appendAudit(t *testing.T, s launchpad.Store, e *launchpad.AuditEvent) *launchpad.AuditEvent {
	t.Helper()
	got, err := s.AppendAudit(t.Context(), e)
	wantOK(t, err, "AppendAudit")
	return got
}

func listAudit(t *testing.T, s launchpad.Store, f launchpad.AuditFilter) []*launchpad.AuditEvent {
	t.Helper()
	got, err := s.ListAudit(t.Context(), f)
	wantOK(t, err, fmt.Sprintf("ListAudit(%+v)", f))
	return got
}

func seqs(events []*launchpad.AuditEvent) []int64 {
	return fields(events, func(e *launchpad.AuditEvent) int64 { return e.Seq })
}

func testAuditAppend(t *testing.T, s launchpad.Store) {
	var appended []*launchpad.AuditEvent
	for i := range 5 {
		e := newAuditEvent("u1", launchpad.AuditSignIn)
		e.Target = fmt.Sprintf("target-%d", i)
		e.Seq, e.PrevHash, e.Hash = 99, "forged", "forged" // the store assigns these
		got := appendAudit(t, s, e)
		if got.Seq != int64(i+1) {
			t.Fatalf("event %d got seq %d, want %d", i, got.Seq, i+1)
		}
		if got.ID == "" || got.Time.IsZero() {
			t.Fatalf("AppendAudit left ID or Time empty: %+v", got)
		}
		wantUTC(t, "audit time", got.Time)
		if got.Hash != launchpad.AuditHash(got) {
			t.Fatalf("event %d: Hash is not AuditHash of the stored event", i)
		}
		if i == 0 && got.PrevHash != "" {
			t.Fatalf("the first event links to %q, want \"\"", got.PrevHash)
		}
		if i > 0 && got.PrevHash != appended[i-1].Hash {
			t.Fatalf("event %d does not link to event %d", i+1, i)
		}
		appended = append(appended, got)
	}
	listed := listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})
	wantEqual(t, "ListAudit (the events as AppendAudit returned them)", listed, appended)
	if err := launchpad.VerifyChain(nil, listed); err != nil {
		t.Fatalf("VerifyChain over ListAudit: %v", err)
	}
	// Altering a listed event (a copy) is detected, and does not change the store.
	listed[2].Details["plan"] = "free"
	if err := launchpad.VerifyChain(nil, listed); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("VerifyChain accepted an altered event: %v", err)
	}
	if err := launchpad.VerifyChain(nil, listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})); err != nil {
		t.Fatalf("mutating a listed event changed the store: %v", err)
	}
}

func testAuditGivenIDTime(t *testing.T, s launchpad.Store) {
	e := newAuditEvent("u1", launchpad.AuditKeyMinted)
	e.ID = "audit-given-1"
	in := time.Date(2041, time.May, 5, 10, 11, 12, 987654321, elsewhere)
	e.Time = in
	got := appendAudit(t, s, e)
	if got.ID != "audit-given-1" {
		t.Fatalf("AppendAudit replaced the given id with %q", got.ID)
	}
	if !got.Time.Equal(in.Truncate(time.Microsecond)) {
		t.Fatalf("AppendAudit time = %s, want %s (kept at microsecond precision)", got.Time.Format(time.RFC3339Nano), in.Truncate(time.Microsecond).UTC().Format(time.RFC3339Nano))
	}
	wantUTC(t, "audit time", got.Time)
	listed := listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})
	wantEqual(t, "listed event", listed, []*launchpad.AuditEvent{got})
	if err := launchpad.VerifyChain(nil, listed); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	// A nil Details map round-trips as empty.
	bare := appendAudit(t, s, &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditLogout})
	if err := launchpad.VerifyChain(nil, listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})); err != nil {
		t.Fatalf("VerifyChain with an event without details: %v", err)
	}
	if bare.Seq != 2 {
		t.Fatalf("second event has seq %d", bare.Seq)
	}
}

func testAuditInvalid(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.AppendAudit(ctx, &launchpad.AuditEvent{Action: launchpad.AuditSignIn})
	wantCode(t, err, launchpad.EINVALID, "AppendAudit without a stream")
	_, err = s.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1"})
	wantCode(t, err, launchpad.EINVALID, "AppendAudit without an action")
	if got := listAudit(t, s, launchpad.AuditFilter{}); len(got) != 0 {
		t.Fatalf("refused events were stored: %d", len(got))
	}
}

func testAuditConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	Race(concurrency, func(i int) {
		e := newAuditEvent("u1", launchpad.AuditApplyFinished)
		e.Target = fmt.Sprintf("writer-%02d", i)
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Errorf("AppendAudit %d: %v", i, err)
		}
	})
	listed := listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})
	if len(listed) != concurrency {
		t.Fatalf("%d events stored by %d concurrent appenders", len(listed), concurrency)
	}
	for i, e := range listed {
		if e.Seq != int64(i+1) {
			t.Fatalf("concurrent appends produced seqs %v, want 1..%d", seqs(listed), concurrency)
		}
	}
	if err := launchpad.VerifyChain(nil, listed); err != nil {
		t.Fatalf("concurrent appends broke the chain: %v", err)
	}
	targets := map[string]bool{}
	for _, e := range listed {
		targets[e.Target] = true
	}
	if len(targets) != concurrency {
		t.Fatalf("%d distinct writers in the chain, want %d", len(targets), concurrency)
	}
}

func testAuditStreams(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	streams := []string{"u1", "u2", launchpad.PlatformStream}
	Race(len(streams)*6, func(i int) {
		if _, err := s.AppendAudit(ctx, newAuditEvent(streams[i%len(streams)], launchpad.AuditPlanChanged)); err != nil {
			t.Errorf("AppendAudit %d: %v", i, err)
		}
	})
	for _, stream := range streams {
		listed := listAudit(t, s, launchpad.AuditFilter{Stream: stream})
		if !slices.Equal(seqs(listed), []int64{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("stream %s has seqs %v, want 1..6", stream, seqs(listed))
		}
		for _, e := range listed {
			if e.Stream != stream {
				t.Fatalf("ListAudit(stream %s) returned an event of %s", stream, e.Stream)
			}
		}
		if err := launchpad.VerifyChain(nil, listed); err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
	}
	if all := listAudit(t, s, launchpad.AuditFilter{}); len(all) != 18 {
		t.Fatalf("ListAudit of all streams returned %d events, want 18", len(all))
	}
}

func testAuditFilters(t *testing.T, s launchpad.Store) {
	// u1 at 1s, 3s, 5s, 7s; u2 at 2s, 4s, 6s.
	for i := 1; i <= 7; i++ {
		stream := "u1"
		if i%2 == 0 {
			stream = "u2"
		}
		e := newAuditEvent(stream, launchpad.AuditApplyStarted)
		e.ID = fmt.Sprintf("ev-%d", i)
		e.Time = at(time.Duration(i) * time.Second)
		appendAudit(t, s, e)
	}
	ids := func(events []*launchpad.AuditEvent) []string {
		var out []string
		for _, e := range events {
			out = append(out, e.ID)
		}
		return out
	}
	check := func(f launchpad.AuditFilter, want ...string) {
		t.Helper()
		if got := ids(listAudit(t, s, f)); !slices.Equal(got, want) {
			t.Fatalf("ListAudit(%+v) = %v, want %v", f, got, want)
		}
	}
	check(launchpad.AuditFilter{Stream: "u1"}, "ev-1", "ev-3", "ev-5", "ev-7")
	check(launchpad.AuditFilter{Stream: "u1", AfterSeq: 2}, "ev-5", "ev-7")
	check(launchpad.AuditFilter{Stream: "u1", AfterSeq: 1, Limit: 2}, "ev-3", "ev-5")
	check(launchpad.AuditFilter{Stream: "u1", Newest: true}, "ev-7", "ev-5", "ev-3", "ev-1")
	check(launchpad.AuditFilter{Stream: "u1", Newest: true, Limit: 1}, "ev-7")
	check(launchpad.AuditFilter{Stream: "u1", Since: at(3 * time.Second)}, "ev-3", "ev-5", "ev-7") // Since is inclusive
	check(launchpad.AuditFilter{Stream: "u2", Since: at(3 * time.Second), Limit: 1}, "ev-4")
	check(launchpad.AuditFilter{Stream: "u1", AfterSeq: 4})
	check(launchpad.AuditFilter{Stream: "nobody"})
	check(launchpad.AuditFilter{}, "ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7")
	check(launchpad.AuditFilter{Newest: true, Limit: 3}, "ev-7", "ev-6", "ev-5")
	check(launchpad.AuditFilter{Since: at(5 * time.Second)}, "ev-5", "ev-6", "ev-7")
	check(launchpad.AuditFilter{Since: at(5*time.Second + time.Microsecond)}, "ev-6", "ev-7")
}

func testAuditDefaultLimit(t *testing.T, s launchpad.Store) {
	for i := range 105 {
		e := newAuditEvent("u1", launchpad.AuditApplyStarted)
		e.Time = at(time.Duration(i) * time.Millisecond)
		appendAudit(t, s, e)
	}
	listed := listAudit(t, s, launchpad.AuditFilter{Stream: "u1"})
	if len(listed) != 100 || listed[0].Seq != 1 || listed[99].Seq != 100 {
		t.Fatalf("ListAudit without a limit returned %d events (seqs %d..%d), want the default 100 (1..100)", len(listed), listed[0].Seq, listed[len(listed)-1].Seq)
	}
	rest := listAudit(t, s, launchpad.AuditFilter{Stream: "u1", AfterSeq: 100})
	if err := launchpad.VerifyChain(listed[99], rest); err != nil || len(rest) != 5 {
		t.Fatalf("the page after seq 100 has %d events (want 5) and verifies with: %v", len(rest), err)
	}
}
