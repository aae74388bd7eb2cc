package storetest

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func retentionCases() []testCase {
	return []testCase{
		{"retention/stripe_payloads_erased_ids_kept", testPurgeStripePayloads},
		{"retention/stripe_payloads_concurrent_sweeps_count_once", testPurgeStripePayloadsConcurrent},
		{"retention/job_logs_of_finished_jobs", testPurgeJobLogs},
		{"retention/sessions_expired_or_revoked", testPurgeSessions},
		{"retention/devices_idle", testPurgeDevices},
		{"retention/sign_in_codes_expired", testPurgeSignInCodes},
		{"retention/retained_workspaces_listed_by_age", testRetainedWorkspaces},
	}
}

// wantPurged checks that a sweep erased want records.
func wantPurged(t *testing.T, what string, n int64, err error, want int64) {
	t.Helper()
	wantOK(t, err, what)
	if n != want {
		t.Fatalf("%s erased %d records, want %d", what, n, want)
	}
}

func testPurgeStripePayloads(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	old, recent := newStripeEvent("evt_old", at(0)), newStripeEvent("evt_recent", at(2*time.Hour))
	old.Payload = []byte(`{"customer_details":{"name":"Ada Lovelace","address":{"line1":"12 St James's Square"}}}`)
	for _, ev := range []*launchpad.StripeEvent{old, recent} {
		ok, err := s.RecordStripeEvent(ctx, ev, nil)
		wantOK(t, err, "RecordStripeEvent")
		if !ok {
			t.Fatalf("%s was not recorded", ev.ID)
		}
	}

	n, err := s.PurgeStripePayloads(ctx, at(time.Hour))
	wantPurged(t, "PurgeStripePayloads", n, err, 1)
	got, err := s.GetStripeEvent(ctx, old.ID)
	wantOK(t, err, "GetStripeEvent of an erased event")
	if len(got.Payload) != 0 {
		t.Fatalf("the payload of an event past its retention is still %q", got.Payload)
	}
	want := *old
	want.Payload = got.Payload
	wantEqual(t, "the erased event's other fields", got, &want)
	kept, err := s.GetStripeEvent(ctx, recent.ID)
	wantOK(t, err, "GetStripeEvent of a recent event")
	if !bytes.Equal(kept.Payload, recent.Payload) {
		t.Fatalf("the payload of an event within its retention became %q", kept.Payload)
	}

	// The id is kept: a redelivery is still a duplicate, and its job is not enqueued.
	again := newStripeEvent(old.ID, at(3*time.Hour))
	ok, err := s.RecordStripeEvent(ctx, again, newJob(launchpad.JobStripeEvent, "cus_1", at(3*time.Hour)))
	wantOK(t, err, "RecordStripeEvent of a redelivery")
	if ok {
		t.Fatal("a redelivery of an event whose payload was erased was recorded again")
	}
	jobs, err := s.ListJobs(ctx, launchpad.JobFilter{})
	wantOK(t, err, "ListJobs")
	if len(jobs) != 0 {
		t.Fatalf("a redelivery enqueued %d jobs", len(jobs))
	}

	n, err = s.PurgeStripePayloads(ctx, at(time.Hour))
	wantPurged(t, "PurgeStripePayloads again", n, err, 0)
}

func testPurgeStripePayloadsConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	const events = 6
	for i := range events {
		_, err := s.RecordStripeEvent(ctx, newStripeEvent(fmt.Sprintf("evt_%d", i), at(time.Duration(i)*time.Minute)), nil)
		wantOK(t, err, "RecordStripeEvent")
	}
	var total atomic.Int64
	Race(4, func(int) {
		n, err := s.PurgeStripePayloads(ctx, at(time.Hour))
		if err != nil {
			t.Errorf("PurgeStripePayloads: %v", err)
		}
		total.Add(n)
	})
	if total.Load() != events {
		t.Fatalf("concurrent sweeps counted %d erased payloads, want %d (each once)", total.Load(), events)
	}
	evs, err := s.ListStripeEvents(ctx, 0)
	wantOK(t, err, "ListStripeEvents")
	for _, ev := range evs {
		if len(ev.Payload) != 0 {
			t.Fatalf("%s kept its payload", ev.ID)
		}
	}
}

func testPurgeJobLogs(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	done := enqueue(t, s, newJob(launchpad.JobApply, "u1", at(0))).ID
	running := enqueue(t, s, newJob(launchpad.JobApply, "u2", at(0))).ID
	for _, id := range []string{done, running} {
		wantOK(t, s.AppendJobLog(ctx, id, []byte("tofu apply for "+id+"\n")), "AppendJobLog")
	}
	j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w", Lease: time.Minute, Now: at(0)})
	wantOK(t, err, "ClaimJob")
	if j.ID != done {
		// Both are runnable at once; finish whichever was claimed and keep the other running.
		done, running = running, done
	}
	_, err = s.ClaimJob(ctx, launchpad.JobClaim{Worker: "w", Lease: time.Hour, Now: at(0)})
	wantOK(t, err, "ClaimJob of the second job")
	_, err = s.FinishJob(ctx, done, "w", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(time.Minute))
	wantOK(t, err, "FinishJob")

	n, err := s.PurgeJobLogs(ctx, at(time.Minute))
	wantPurged(t, "PurgeJobLogs with the cut-off at the finish", n, err, 0)
	n, err = s.PurgeJobLogs(ctx, at(time.Hour))
	wantPurged(t, "PurgeJobLogs", n, err, 1)
	got, err := s.ReadJobLog(ctx, done, 0)
	wantOK(t, err, "ReadJobLog of an erased log")
	if len(got) != 0 {
		t.Fatalf("the log of a job finished before the cut-off is still %q", got)
	}
	if _, err := s.GetJob(ctx, done); err != nil {
		t.Fatalf("the job whose log was erased is gone too: %v", err)
	}
	got, err = s.ReadJobLog(ctx, running, 0)
	wantOK(t, err, "ReadJobLog of a running job")
	if string(got) != "tofu apply for "+running+"\n" {
		t.Fatalf("the log of a running job became %q", got)
	}
	n, err = s.PurgeJobLogs(ctx, at(time.Hour))
	wantPurged(t, "PurgeJobLogs again", n, err, 0)
}

func testPurgeSessions(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	expired := newSession("s-exp", "u1", "f1", "tok-exp", at(0))
	expired.ExpiresAt = at(24 * time.Hour)
	revoked := newSession("s-rev", "u1", "f2", "tok-rev", at(0))
	active := newSession("s-act", "u1", "f3", "tok-act", at(0))
	for _, x := range []*launchpad.Session{expired, revoked, active} {
		wantOK(t, s.CreateSession(ctx, x), "CreateSession")
	}
	wantOK(t, s.RevokeSessionFamily(ctx, "f2", at(time.Hour)), "RevokeSessionFamily")

	n, err := s.PurgeSessions(ctx, at(time.Hour))
	wantPurged(t, "PurgeSessions with the cut-off at the revocation", n, err, 0)
	n, err = s.PurgeSessions(ctx, at(48*time.Hour))
	wantPurged(t, "PurgeSessions", n, err, 2)
	for _, tok := range []string{"tok-exp", "tok-rev"} {
		_, err := s.GetSessionByTokenHash(ctx, tok)
		wantCode(t, err, launchpad.ENOTFOUND, "GetSessionByTokenHash of a purged session")
	}
	if _, err := s.GetSessionByTokenHash(ctx, "tok-act"); err != nil {
		t.Fatalf("an active session was purged: %v", err)
	}
	// Nothing of a purged session is left behind: its id can be used again.
	wantOK(t, s.CreateSession(ctx, newSession("s-exp", "u1", "f4", "tok-new", at(48*time.Hour))), "CreateSession with a purged session's id")
	n, err = s.PurgeSessions(ctx, at(48*time.Hour))
	wantPurged(t, "PurgeSessions again", n, err, 0)
}

func testPurgeDevices(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.TouchDevice(ctx, newDevice("u1", "fp-idle"), at(0))
	wantOK(t, err, "TouchDevice")
	_, err = s.TouchDevice(ctx, newDevice("u1", "fp-used"), at(0))
	wantOK(t, err, "TouchDevice")
	_, err = s.TouchDevice(ctx, newDevice("u1", "fp-used"), at(10*24*time.Hour))
	wantOK(t, err, "TouchDevice again")

	n, err := s.PurgeDevices(ctx, at(5*24*time.Hour))
	wantPurged(t, "PurgeDevices", n, err, 1)
	devices, err := s.ListDevices(ctx, "u1")
	wantOK(t, err, "ListDevices")
	wantEqual(t, "devices left", fields(devices, func(d *launchpad.Device) string { return d.Fingerprint }), []string{"fp-used"})
	isNew, err := s.TouchDevice(ctx, newDevice("u1", "fp-idle"), at(11*24*time.Hour))
	wantOK(t, err, "TouchDevice of a purged device")
	if !isNew {
		t.Fatal("a device purged for idleness is not new when it signs in again")
	}
	n, err = s.PurgeDevices(ctx, at(5*24*time.Hour))
	wantPurged(t, "PurgeDevices again", n, err, 0)
}

func testPurgeSignInCodes(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for email, expires := range map[string]time.Time{"old@example.com": at(15 * time.Minute), "new@example.com": at(3 * time.Hour)} {
		wantOK(t, s.PutSignInCode(ctx, &launchpad.SignInCode{Email: email, HMAC: []byte("mac-" + email), CreatedAt: at(0), ExpiresAt: expires}), "PutSignInCode")
	}
	n, err := s.PurgeSignInCodes(ctx, at(time.Hour))
	wantPurged(t, "PurgeSignInCodes", n, err, 1)
	never := func([]byte) bool { return false }
	_, err = s.VerifySignInCode(ctx, "old@example.com", at(0), 5, never)
	wantCode(t, err, launchpad.ENOTFOUND, "VerifySignInCode of a purged code")
	_, err = s.VerifySignInCode(ctx, "new@example.com", at(0), 5, never)
	wantCode(t, err, launchpad.EINVALID, "VerifySignInCode of a kept code, wrong guess")
	n, err = s.PurgeSignInCodes(ctx, at(time.Hour))
	wantPurged(t, "PurgeSignInCodes again", n, err, 0)
}

func testRetainedWorkspaces(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	older := &launchpad.RetainedWorkspace{AppName: "lp-hermes-alice01-a1", SnapshotID: "vs_1", KeptAt: at(0), Until: at(48 * time.Hour)}
	newer := &launchpad.RetainedWorkspace{AppName: "lp-hermes-bob02-b2", SnapshotID: "vs_2", KeptAt: at(2 * time.Hour)}
	for _, w := range []*launchpad.RetainedWorkspace{newer, older} {
		wantOK(t, s.PutRetainedWorkspace(ctx, w), "PutRetainedWorkspace")
	}
	got, err := s.ListRetainedWorkspaces(ctx, at(3*time.Hour), 10)
	wantOK(t, err, "ListRetainedWorkspaces")
	wantEqual(t, "the retained workspaces, oldest first", got, []*launchpad.RetainedWorkspace{older, newer})
	got, err = s.ListRetainedWorkspaces(ctx, at(time.Hour), 10)
	wantOK(t, err, "ListRetainedWorkspaces before the newer one")
	wantEqual(t, "the workspaces kept before the cut-off", got, []*launchpad.RetainedWorkspace{older})
	got, err = s.ListRetainedWorkspaces(ctx, at(3*time.Hour), 1)
	wantOK(t, err, "ListRetainedWorkspaces with a limit")
	wantEqual(t, "the first workspace", got, []*launchpad.RetainedWorkspace{older})

	// Keeping the same app again (a destroy run twice) replaces its record.
	again := &launchpad.RetainedWorkspace{AppName: older.AppName, SnapshotID: "vs_3", KeptAt: at(4 * time.Hour)}
	wantOK(t, s.PutRetainedWorkspace(ctx, again), "PutRetainedWorkspace of the same app")
	got, err = s.ListRetainedWorkspaces(ctx, at(5*time.Hour), 10)
	wantOK(t, err, "ListRetainedWorkspaces after the replacement")
	wantEqual(t, "the workspaces after the replacement", got, []*launchpad.RetainedWorkspace{newer, again})

	wantOK(t, s.DeleteRetainedWorkspace(ctx, newer.AppName), "DeleteRetainedWorkspace")
	wantOK(t, s.DeleteRetainedWorkspace(ctx, newer.AppName), "DeleteRetainedWorkspace of an app no longer recorded")
	got, err = s.ListRetainedWorkspaces(ctx, at(5*time.Hour), 10)
	wantOK(t, err, "ListRetainedWorkspaces after the delete")
	wantEqual(t, "the workspaces after the delete", got, []*launchpad.RetainedWorkspace{again})
}
