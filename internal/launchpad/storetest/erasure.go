package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func erasureCases() []testCase {
	return []testCase{
		{"EraseUser", testEraseUser},
		{"PseudonymiseAudit", testPseudonymiseAudit},
		{"PseudonymiseJob_of_a_running_job", testPseudonymiseJob},
		{"TrimAudit", testTrimAudit},
	}
}

// testEraseUser: every record of the erased user is gone, the Stripe payloads that mention
// them are emptied (their ids kept), and another user's records are untouched; a second
// erasure succeeds.
func testEraseUser(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for _, id := range []string{"gone", "stays", "gone2"} { // gone2: ids that extend the erased one's
		u := newUser(id)
		wantOK(t, s.CreateUser(ctx, u), "CreateUser "+id)
		wantOK(t, s.CreateSession(ctx, newSession("s-"+id, id, "f-"+id, "th-"+id, at(0))), "CreateSession "+id)
		_, err := s.TouchDevice(ctx, &launchpad.Device{UserID: id, Fingerprint: "fp-" + id, UserAgent: "ua"}, at(0))
		wantOK(t, err, "TouchDevice "+id)
		wantOK(t, s.PutSignInCode(ctx, &launchpad.SignInCode{Email: u.Email, HMAC: []byte("mac"), CreatedAt: at(0), ExpiresAt: at(time.Hour)}), "PutSignInCode "+id)
		wantOK(t, s.CreateTenant(ctx, newTenant("lp-hermes-"+id, id)), "CreateTenant "+id)
		wantOK(t, s.CreateSubKey(ctx, newSubKey("hash-"+id, id)), "CreateSubKey "+id)
		_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: id, Data: []byte(`{"version":4}`)})
		wantOK(t, err, "PutState "+id)
		ev := newStripeEvent("evt_"+id, at(0))
		ev.Payload = []byte(`{"id":"evt_` + id + `","data":{"object":{"customer":"cus_` + id + `","customer_details":{"email":"` + u.Email + `","name":"Ada"}}}}`)
		_, err = s.RecordStripeEvent(ctx, ev, nil)
		wantOK(t, err, "RecordStripeEvent "+id)
	}
	job, err := s.EnqueueJob(ctx, newJob(launchpad.JobApply, "gone", at(0)))
	wantOK(t, err, "EnqueueJob")
	wantOK(t, s.AppendJobLog(ctx, job.ID, []byte("log of gone@example.com")), "AppendJobLog")
	keep, err := s.EnqueueJob(ctx, newJob(launchpad.JobErasure, "gone", at(time.Second)))
	wantOK(t, err, "EnqueueJob erasure")
	customerJob, err := s.EnqueueJob(ctx, newJob(launchpad.JobStripeEvent, launchpad.StripeCustomerJobKey("cus_gone"), at(0)))
	wantOK(t, err, "EnqueueJob of the customer's Stripe event")

	e := launchpad.UserErasure{UserID: "gone", Email: "gone@example.com", StripeCustomerID: "cus_gone", KeepJobID: keep.ID}
	wantOK(t, s.EraseUser(ctx, e), "EraseUser")

	_, err = s.GetUser(ctx, "gone")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUser of an erased user")
	_, err = s.GetUserByEmail(ctx, "gone@example.com")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserByEmail of an erased user")
	_, err = s.GetSessionByTokenHash(ctx, "th-gone")
	wantCode(t, err, launchpad.ENOTFOUND, "a session of an erased user")
	devices, err := s.ListDevices(ctx, "gone")
	wantOK(t, err, "ListDevices")
	wantEqual(t, "devices of an erased user", len(devices), 0)
	_, err = s.VerifySignInCode(ctx, "gone@example.com", at(0), 5, func([]byte) bool { return true })
	wantCode(t, err, launchpad.ENOTFOUND, "the sign-in code of an erased user")
	_, err = s.GetTenant(ctx, "lp-hermes-gone")
	wantCode(t, err, launchpad.ENOTFOUND, "the tenant of an erased user")
	_, err = s.GetSubKey(ctx, "hash-gone")
	wantCode(t, err, launchpad.ENOTFOUND, "the sub-key record of an erased user")
	_, err = s.GetState(ctx, "gone")
	wantCode(t, err, launchpad.ENOTFOUND, "the state of an erased user")
	_, err = s.GetJob(ctx, job.ID)
	wantCode(t, err, launchpad.ENOTFOUND, "an apply job of an erased user")
	_, err = s.GetJob(ctx, customerJob.ID)
	wantCode(t, err, launchpad.ENOTFOUND, "a job of the erased user's Stripe customer")
	_, err = s.GetJob(ctx, keep.ID)
	wantOK(t, err, "the erasure job itself (KeepJobID)")
	ev, err := s.GetStripeEvent(ctx, "evt_gone")
	wantOK(t, err, "the Stripe event that mentioned the user keeps its id")
	for _, m := range e.Mentions() {
		if bytes.Contains(ev.Payload, []byte(m)) {
			t.Fatalf("the Stripe payload of an erased user still holds %q: %s", m, ev.Payload)
		}
	}

	// The other user keeps everything.
	_, err = s.GetUser(ctx, "stays")
	wantOK(t, err, "GetUser of another user")
	_, err = s.GetSessionByTokenHash(ctx, "th-stays")
	wantOK(t, err, "a session of another user")
	_, err = s.GetTenant(ctx, "lp-hermes-stays")
	wantOK(t, err, "a tenant of another user")
	for _, id := range []string{"stays", "gone2"} {
		other, err := s.GetStripeEvent(ctx, "evt_"+id)
		wantOK(t, err, "GetStripeEvent of another user")
		if !bytes.Contains(other.Payload, []byte("cus_"+id)) {
			t.Fatalf("another user's Stripe payload was changed: %s", other.Payload)
		}
		_, err = s.GetUser(ctx, id)
		wantOK(t, err, "GetUser of another user "+id)
	}
	otherJob, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: "gone2", Payload: []byte(`{"user_id":"gone2"}`)})
	wantOK(t, err, "EnqueueJob of another user")
	wantOK(t, s.EraseUser(ctx, e), "EraseUser once more")
	_, err = s.GetJob(ctx, otherJob.ID)
	wantOK(t, err, "the job of a user whose id extends the erased one's")

	wantOK(t, s.EraseUser(ctx, e), "EraseUser again (idempotent)")
}

// testPseudonymiseAudit: the user's events move to the erased stream with their hashes, the
// chain and the tree still verify, other streams are untouched, and a second run rewrites
// nothing.
func testPseudonymiseAudit(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for range 3 {
		appendAudit(t, s, newAuditEvent("u-gone", launchpad.AuditSignIn))
		appendAudit(t, s, newAuditEvent("u-stays", launchpad.AuditSignIn))
	}
	before := listAudit(t, s, launchpad.AuditFilter{Stream: "u-gone"})
	pseudonym := func(v string) string { return "h" + strings.Repeat("0", 8) + string(rune('a'+len(v)%26)) }
	stream := launchpad.ErasedStreamPrefix + pseudonym("u-gone")
	fn := func(e *launchpad.AuditEvent) { launchpad.PseudonymiseEvent(e, "u-gone", "", pseudonym) }

	n, err := s.PseudonymiseAudit(ctx, "u-gone", fn)
	wantOK(t, err, "PseudonymiseAudit")
	wantEqual(t, "events pseudonymised", n, 3)
	wantEqual(t, "events left in the user's stream", len(listAudit(t, s, launchpad.AuditFilter{Stream: "u-gone"})), 0)
	after := listAudit(t, s, launchpad.AuditFilter{Stream: stream})
	wantEqual(t, "events in the erased stream", len(after), 3)
	for i, e := range after {
		b := before[i]
		if !e.Pseudonymised || e.Hash != b.Hash || e.PrevHash != b.PrevHash || e.Seq != b.Seq || e.Index != b.Index || e.ID != b.ID {
			t.Fatalf("pseudonymised event %d = %+v, want the hashes, seq and index of %+v", i, e, b)
		}
		for _, field := range append([]string{e.Stream, e.Actor, e.Target}, valuesOf(e.Details)...) {
			if strings.Contains(field, "u-gone") {
				t.Fatalf("pseudonymised event %s still names the user: %+v", e.ID, e)
			}
		}
		got, err := s.GetAudit(ctx, e.ID)
		wantOK(t, err, "GetAudit of a pseudonymised event")
		wantEqual(t, "GetAudit stream", got.Stream, stream)
	}
	if err := launchpad.VerifyChain(nil, after); err != nil {
		t.Fatalf("the pseudonymised chain does not verify: %v", err)
	}
	if err := launchpad.VerifyChain(nil, listAudit(t, s, launchpad.AuditFilter{Stream: "u-stays"})); err != nil {
		t.Fatalf("another stream no longer verifies: %v", err)
	}
	wantStoredTree(t, s, 6)

	// The mark cannot be used to alter an event unseen: a pseudonymised event still links by
	// its Hash, and one outside an erased stream is refused.
	forged := *after[1]
	forged.Hash = strings.Repeat("f", 64)
	if launchpad.VerifyChain(nil, []*launchpad.AuditEvent{after[0], &forged, after[2]}) == nil {
		t.Fatal("VerifyChain accepted a pseudonymised event with another hash")
	}
	n, err = s.PseudonymiseAudit(ctx, "u-gone", fn)
	wantOK(t, err, "PseudonymiseAudit again")
	wantEqual(t, "events pseudonymised the second time", n, 0)
	_, err = s.PseudonymiseAudit(ctx, "u-stays", func(e *launchpad.AuditEvent) { e.Stream = "elsewhere" })
	wantCode(t, err, launchpad.EINVALID, "PseudonymiseAudit into a stream outside the erased prefix")
	wantEqual(t, "events of u-stays after a refused rewrite", len(listAudit(t, s, launchpad.AuditFilter{Stream: "u-stays"})), 3)
}

func valuesOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// testPseudonymiseJob: a running job's key and payload are replaced; its key's lock moves with
// it, so another job of the old key runs at once, and the pseudonymised job finishes as usual.
func testPseudonymiseJob(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	enq, err := s.EnqueueJob(ctx, newJob(launchpad.JobErasure, "gone", at(0)))
	wantOK(t, err, "EnqueueJob")
	running := claim(t, s, "w1", at(time.Second))
	if running.ID != enq.ID {
		t.Fatalf("claimed %s, want %s", running.ID, enq.ID)
	}
	payload := []byte(`{"user_id":"5eudo","pseudonymised":true}`)
	wantOK(t, s.PseudonymiseJob(ctx, running.ID, "erased:5eudo", payload), "PseudonymiseJob")
	got, err := s.GetJob(ctx, running.ID)
	wantOK(t, err, "GetJob")
	if got.Key != "erased:5eudo" || !bytes.Equal(got.Payload, payload) || got.Status != launchpad.JobRunning {
		t.Fatalf("the pseudonymised job: key %q, payload %s, status %s", got.Key, got.Payload, got.Status)
	}
	if jobs, err := s.ListJobs(ctx, launchpad.JobFilter{Key: "gone"}); err != nil || len(jobs) != 0 {
		t.Fatalf("jobs still listed under the old key: %d, %v", len(jobs), err)
	}
	next, err := s.EnqueueJob(ctx, newJob(launchpad.JobApply, "gone", at(2*time.Second)))
	wantOK(t, err, "EnqueueJob of the old key")
	if j := claim(t, s, "w2", at(3*time.Second)); j.ID != next.ID {
		t.Fatalf("claimed %s, want %s: the old key is still locked", j.ID, next.ID)
	}
	done, err := s.FinishJob(ctx, running.ID, "w1", launchpad.JobResult{Status: launchpad.JobSucceeded}, at(4*time.Second))
	wantOK(t, err, "FinishJob of the pseudonymised job")
	if done.Status != launchpad.JobSucceeded || done.Key != "erased:5eudo" {
		t.Fatalf("the finished job: %+v", done)
	}
	wantCode(t, s.PseudonymiseJob(ctx, "missing", "k", nil), launchpad.ENOTFOUND, "PseudonymiseJob of no job")
}

// testTrimAudit: the events older than the cut-off are listed oldest first, trimmed once (content
// emptied, hashes, place and time kept), then no longer listed; every chain and the tree still
// verify, a trimmed event can still be pseudonymised, and an event appended after it links on.
func testTrimAudit(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for i := range 3 {
		for _, stream := range []string{"u-trim", "u-other"} {
			e := newAuditEvent(stream, launchpad.AuditSignIn)
			e.Time = at(time.Duration(i) * time.Hour)
			appendAudit(t, s, e)
		}
	}
	old, err := s.ListAuditToTrim(ctx, at(90*time.Minute), 0)
	wantOK(t, err, "ListAuditToTrim")
	wantEqual(t, "events before the cut-off", len(old), 4)
	for i, e := range old {
		if e.Time.After(at(time.Hour)) || (i > 0 && e.Time.Before(old[i-1].Time)) || e.Trimmed {
			t.Fatalf("ListAuditToTrim returned %+v at %d: want untrimmed events before the cut-off, oldest first", e, i)
		}
	}
	ids := []string{"no-such-event"}
	for _, e := range old {
		ids = append(ids, e.ID)
	}
	n, err := s.TrimAudit(ctx, ids)
	wantOK(t, err, "TrimAudit")
	wantEqual(t, "events trimmed", n, 4)
	for _, e := range old {
		got, err := s.GetAudit(ctx, e.ID)
		wantOK(t, err, "GetAudit of a trimmed event")
		if !got.Trimmed || got.Actor != "" || got.Target != "" || len(got.Details) != 0 ||
			got.Hash != e.Hash || got.PrevHash != e.PrevHash || got.Seq != e.Seq || got.Index != e.Index ||
			got.Stream != e.Stream || !got.Time.Equal(e.Time) || got.Action != e.Action {
			t.Fatalf("trimmed event = %+v, want the place, time, action and hashes of %+v with no content", got, e)
		}
	}
	left, err := s.ListAuditToTrim(ctx, at(90*time.Minute), 0)
	wantOK(t, err, "ListAuditToTrim after the trim")
	wantEqual(t, "events left to trim", len(left), 0)
	n, err = s.TrimAudit(ctx, ids)
	wantOK(t, err, "TrimAudit again")
	wantEqual(t, "events trimmed the second time", n, 0)
	newest := listAudit(t, s, launchpad.AuditFilter{Stream: "u-other"})
	wantEqual(t, "content of the newer event", newest[2].Actor, "user:u-other")

	appendAudit(t, s, newAuditEvent("u-trim", launchpad.AuditLogout))
	for _, stream := range []string{"u-trim", "u-other"} {
		if err := launchpad.VerifyChain(nil, listAudit(t, s, launchpad.AuditFilter{Stream: stream})); err != nil {
			t.Fatalf("stream %s no longer verifies after the trim: %v", stream, err)
		}
	}
	wantStoredTree(t, s, 7)

	pseudonym := func(v string) string { return "h" + strings.Repeat("1", 8) }
	_, err = s.PseudonymiseAudit(ctx, "u-trim", func(e *launchpad.AuditEvent) { launchpad.PseudonymiseEvent(e, "u-trim", "", pseudonym) })
	wantOK(t, err, "PseudonymiseAudit of a stream with trimmed events")
	erased := listAudit(t, s, launchpad.AuditFilter{Stream: launchpad.ErasedStreamPrefix + pseudonym("u-trim")})
	wantEqual(t, "events pseudonymised", len(erased), 4)
	if !erased[0].Trimmed || erased[3].Trimmed {
		t.Fatalf("pseudonymising changed the trimmed marks: %+v", erased)
	}
	if err := launchpad.VerifyChain(nil, erased); err != nil {
		t.Fatalf("the pseudonymised stream with trimmed events does not verify: %v", err)
	}
	wantStoredTree(t, s, 7)
}
