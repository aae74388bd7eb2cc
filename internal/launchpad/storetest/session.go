package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func sessionCases() []testCase {
	return []testCase{
		{"session/create_get", testSessionCreateGet},
		{"session/rotate", testSessionRotate},
		{"session/reuse_revokes_the_family_only", testSessionReuse},
		{"session/revoked_or_expired_unauthorized", testSessionRevokedExpired},
		{"session/rotate_concurrent_one_winner", testSessionRotateConcurrent},
		{"session/revoke_family", testSessionRevokeFamily},
		{"session/revoke_user_sessions", testSessionRevokeUser},
		{"session/list_active_newest_first", testSessionList},
		{"session/touch_records_address_and_last_activity", testSessionTouch},
	}
}

func createSession(t *testing.T, s launchpad.Store, sess *launchpad.Session) {
	t.Helper()
	wantOK(t, s.CreateSession(t.Context(), sess), "CreateSession "+sess.ID)
}

func getSession(t *testing.T, s launchpad.Store, tokenHash string) *launchpad.Session {
	t.Helper()
	got, err := s.GetSessionByTokenHash(t.Context(), tokenHash)
	wantOK(t, err, "GetSessionByTokenHash "+tokenHash)
	return got
}

func testSessionCreateGet(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetSessionByTokenHash(ctx, "tok-missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetSessionByTokenHash of an unknown token")
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	wantEqual(t, "GetSessionByTokenHash", getSession(t, s, "tok1"), newSession("s1", "u1", "f1", "tok1", at(0)))

	wantCode(t, s.CreateSession(ctx, newSession("s2", "u2", "f2", "tok1", at(0))), launchpad.ECONFLICT, "CreateSession with a taken token hash")
	wantCode(t, s.CreateSession(ctx, newSession("s1", "u2", "f2", "tok2", at(0))), launchpad.ECONFLICT, "CreateSession with a taken id")
	wantEqual(t, "session after refused duplicates", getSession(t, s, "tok1"), newSession("s1", "u1", "f1", "tok1", at(0)))
	_, err = s.GetSessionByTokenHash(ctx, "tok2")
	wantCode(t, err, launchpad.ENOTFOUND, "the token of a refused session")
}

func testSessionRotate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	next := newSession("s2", "u1", "f1", "tok2", at(time.Hour))
	res, err := s.RotateSession(ctx, "tok1", next, at(time.Hour))
	wantOK(t, err, "RotateSession")
	if res.Reused || res.New == nil || res.Old == nil {
		t.Fatalf("RotateSession = %+v, want Old and New, not Reused", res)
	}
	wantOld := newSession("s1", "u1", "f1", "tok1", at(0))
	wantOld.RotatedAt = at(time.Hour)
	wantEqual(t, "RotateSession Old", res.Old, wantOld)
	wantEqual(t, "RotateSession New", res.New, newSession("s2", "u1", "f1", "tok2", at(time.Hour)))
	wantEqual(t, "the old session", getSession(t, s, "tok1"), wantOld)
	wantEqual(t, "the new session", getSession(t, s, "tok2"), newSession("s2", "u1", "f1", "tok2", at(time.Hour)))

	// The new token rotates in its turn.
	res, err = s.RotateSession(ctx, "tok2", newSession("s3", "u1", "f1", "tok3", at(2*time.Hour)), at(2*time.Hour))
	wantOK(t, err, "RotateSession of the new token")
	if res.Reused || res.New == nil || res.New.TokenHash != "tok3" {
		t.Fatalf("second rotation = %+v", res)
	}
}

func testSessionReuse(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	createSession(t, s, newSession("o1", "u1", "f-other", "tok-other", at(0))) // the same user on another device
	createSession(t, s, newSession("x1", "u2", "f-u2", "tok-u2", at(0)))       // another user
	_, err := s.RotateSession(ctx, "tok1", newSession("s2", "u1", "f1", "tok2", at(time.Hour)), at(time.Hour))
	wantOK(t, err, "RotateSession")

	// tok1 was stolen and is presented again.
	res, err := s.RotateSession(ctx, "tok1", newSession("s3", "u1", "f1", "tok3", at(2*time.Hour)), at(2*time.Hour))
	wantOK(t, err, "RotateSession of a rotated token (reuse is a result, not an error)")
	if !res.Reused || res.New != nil || res.Old == nil || res.Old.ID != "s1" {
		t.Fatalf("reuse result = %+v, want Reused, New nil, Old s1", res)
	}
	_, err = s.GetSessionByTokenHash(ctx, "tok3")
	wantCode(t, err, launchpad.ENOTFOUND, "the session a detected reuse would have created")
	for _, tok := range []string{"tok1", "tok2"} {
		if got := getSession(t, s, tok); got.RevokedAt.IsZero() {
			t.Errorf("session %s of the reused family is not revoked", tok)
		}
	}
	for _, tok := range []string{"tok-other", "tok-u2"} {
		if got := getSession(t, s, tok); !got.RevokedAt.IsZero() {
			t.Errorf("session %s outside the reused family was revoked", tok)
		}
	}
	// The legitimate holder of tok2 is signed out too.
	_, err = s.RotateSession(ctx, "tok2", newSession("s4", "u1", "f1", "tok4", at(3*time.Hour)), at(3*time.Hour))
	wantCode(t, err, launchpad.EUNAUTHORIZED, "rotating a token of the revoked family")
}

func testSessionRevokedExpired(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.RotateSession(ctx, "tok-missing", newSession("n", "u1", "f", "tok-n", at(0)), at(0))
	wantCode(t, err, launchpad.ENOTFOUND, "RotateSession of an unknown token")

	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	wantOK(t, s.RevokeSessionFamily(ctx, "f1", at(time.Minute)), "RevokeSessionFamily")
	_, err = s.RotateSession(ctx, "tok1", newSession("s2", "u1", "f1", "tok2", at(time.Hour)), at(time.Hour))
	wantCode(t, err, launchpad.EUNAUTHORIZED, "RotateSession of a revoked session")

	expiring := newSession("e1", "u1", "f2", "tok-e", at(0))
	expiring.ExpiresAt = at(time.Hour)
	createSession(t, s, expiring)
	_, err = s.RotateSession(ctx, "tok-e", newSession("e2", "u1", "f2", "tok-e2", at(2*time.Hour)), at(2*time.Hour))
	wantCode(t, err, launchpad.EUNAUTHORIZED, "RotateSession of an expired session")
	_, err = s.RotateSession(ctx, "tok-e", newSession("e2", "u1", "f2", "tok-e2", at(time.Hour)), at(time.Hour))
	wantCode(t, err, launchpad.EUNAUTHORIZED, "RotateSession at the expiry time")
	for _, tok := range []string{"tok2", "tok-e2"} {
		_, err = s.GetSessionByTokenHash(ctx, tok)
		wantCode(t, err, launchpad.ENOTFOUND, "a session a refused rotation would have created")
	}
	if got := getSession(t, s, "tok-e"); !got.RotatedAt.IsZero() {
		t.Fatal("a refused rotation marked the session rotated")
	}
}

func testSessionRotateConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("s0", "u1", "f1", "tok0", at(0)))
	results := make([]*launchpad.RotateResult, concurrency)
	Race(concurrency, func(i int) {
		res, err := s.RotateSession(ctx, "tok0", newSession(fmt.Sprintf("s%02d", i+1), "u1", "f1", fmt.Sprintf("tok%02d", i+1), at(time.Minute)), at(time.Minute))
		switch launchpad.ErrorCode(err) {
		case "":
			results[i] = res
		case launchpad.EUNAUTHORIZED: // the family was already revoked by a detected reuse
		default:
			t.Errorf("rotation %d: %v", i, err)
		}
	})
	winners, reuses := 0, 0
	for _, res := range results {
		switch {
		case res == nil:
		case res.Reused:
			reuses++
		case res.New != nil:
			winners++
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d concurrent rotations of one token got a new session, want exactly 1", winners, concurrency)
	}
	if reuses == 0 {
		t.Fatal("the other rotations of the same token were not detected as reuse")
	}
	sessions, err := s.ListSessions(ctx, "u1", at(2*time.Minute))
	wantOK(t, err, "ListSessions")
	if len(sessions) != 0 {
		t.Fatalf("%d sessions of the reused family are still active", len(sessions))
	}
}

func testSessionRevokeFamily(t *testing.T, s launchpad.Store) {
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	createSession(t, s, newSession("s2", "u1", "f1", "tok2", at(time.Second)))
	createSession(t, s, newSession("s3", "u1", "f2", "tok3", at(0)))
	wantRevokes(t, s, "RevokeSessionFamily", s.RevokeSessionFamily, "f1", "f-unknown")
}

func testSessionRevokeUser(t *testing.T, s launchpad.Store) {
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	createSession(t, s, newSession("s2", "u1", "f2", "tok2", at(0)))
	createSession(t, s, newSession("s3", "u2", "f3", "tok3", at(0)))
	wantRevokes(t, s, "RevokeUserSessions", s.RevokeUserSessions, "u1", "u-unknown")
	sessions, err := s.ListSessions(t.Context(), "u1", at(2*time.Hour))
	wantOK(t, err, "ListSessions")
	if len(sessions) != 0 {
		t.Fatalf("%d sessions active after signing out everywhere", len(sessions))
	}
}

// wantRevokes checks a revocation of a group of sessions (a family, a user's): revoking group
// signs out its sessions, tok1 and tok2, at the time given and no other (tok3); revoking it
// again keeps the first RevokedAt; revoking a group without sessions (unknown) is no error.
func wantRevokes(t *testing.T, s launchpad.Store, name string, revoke func(context.Context, string, time.Time) error, group, unknown string) {
	t.Helper()
	ctx := t.Context()
	wantOK(t, revoke(ctx, group, at(time.Minute)), name)
	for _, tok := range []string{"tok1", "tok2"} {
		if got := getSession(t, s, tok); !got.RevokedAt.Equal(at(time.Minute)) {
			t.Errorf("session %s revoked at %s, want %s", tok, got.RevokedAt, at(time.Minute))
		}
	}
	if got := getSession(t, s, "tok3"); !got.RevokedAt.IsZero() {
		t.Fatalf("%s(%s) revoked a session of another group", name, group)
	}
	wantOK(t, revoke(ctx, group, at(time.Hour)), name+" again")
	for _, tok := range []string{"tok1", "tok2"} {
		if got := getSession(t, s, tok); !got.RevokedAt.Equal(at(time.Minute)) {
			t.Fatalf("revoking again moved RevokedAt of %s to %s", tok, got.RevokedAt)
		}
	}
	wantOK(t, revoke(ctx, unknown, at(time.Hour)), name+" of a group without sessions")
}

func testSessionList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("old", "u1", "f1", "tok-old", at(0)))
	createSession(t, s, newSession("new", "u1", "f2", "tok-new", at(2*time.Hour)))
	createSession(t, s, newSession("mid", "u1", "f3", "tok-mid", at(time.Hour)))
	revoked := newSession("revoked", "u1", "f4", "tok-revoked", at(3*time.Hour))
	createSession(t, s, revoked)
	wantOK(t, s.RevokeSessionFamily(ctx, "f4", at(3*time.Hour)), "RevokeSessionFamily")
	expired := newSession("expired", "u1", "f5", "tok-expired", at(0))
	expired.ExpiresAt = at(time.Hour)
	createSession(t, s, expired)
	createSession(t, s, newSession("rot", "u1", "f6", "tok-rot", at(0)))
	_, err := s.RotateSession(ctx, "tok-rot", newSession("rot2", "u1", "f6", "tok-rot2", at(90*time.Minute)), at(90*time.Minute))
	wantOK(t, err, "RotateSession")
	createSession(t, s, newSession("other", "u2", "f7", "tok-other", at(0)))

	sessions, err := s.ListSessions(ctx, "u1", at(4*time.Hour))
	wantOK(t, err, "ListSessions")
	var ids []string
	for _, sess := range sessions {
		ids = append(ids, sess.ID)
	}
	if want := []string{"new", "rot2", "mid", "old"}; !slices.Equal(ids, want) {
		t.Fatalf("ListSessions = %v, want the active sessions newest first %v", ids, want)
	}
	wantEqual(t, "listed session", sessions[0], newSession("new", "u1", "f2", "tok-new", at(2*time.Hour)))
}

// testSessionTouch: TouchSession records where and when the family's current session was
// last used, never moves that back, leaves the rest of the session alone, and refuses a
// family that is signed out; a rotation's successor carries its own address.
func testSessionTouch(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	wantOK(t, s.TouchSession(ctx, "f1", "198.51.100.7", at(time.Minute)), "TouchSession")
	want := newSession("s1", "u1", "f1", "tok1", at(0))
	want.IP, want.LastSeenAt = "198.51.100.7", at(time.Minute)
	wantEqual(t, "the session after a touch", currentSession(t, s, "f1"), want)

	wantOK(t, s.TouchSession(ctx, "f1", "203.0.113.99", at(30*time.Second)), "TouchSession older than the last")
	wantEqual(t, "the session after an older touch", currentSession(t, s, "f1"), want)

	next := newSession("s2", "u1", "f1", "tok2", at(time.Hour))
	next.IP = "203.0.113.5"
	_, err := s.RotateSession(ctx, "tok1", next, at(time.Hour))
	wantOK(t, err, "RotateSession")
	wantOK(t, s.TouchSession(ctx, "f1", "203.0.113.6", at(2*time.Hour)), "TouchSession after a rotation")
	sessions, err := s.ListSessions(ctx, "u1", at(2*time.Hour))
	wantOK(t, err, "ListSessions")
	if len(sessions) != 1 || sessions[0].ID != "s2" || sessions[0].IP != "203.0.113.6" || !sessions[0].LastSeenAt.Equal(at(2*time.Hour)) {
		t.Fatalf("ListSessions after touching the rotated family = %+v, want s2 last seen from 203.0.113.6 at %s", sessions, at(2*time.Hour))
	}
	if old := getSession(t, s, "tok1"); old.IP != "198.51.100.7" {
		t.Fatalf("touching the family changed its rotated session's address to %q", old.IP)
	}

	wantCode(t, s.TouchSession(ctx, "f-unknown", "198.51.100.7", at(time.Hour)), launchpad.ENOTFOUND, "TouchSession of an unknown family")
	wantOK(t, s.RevokeSessionFamily(ctx, "f1", at(3*time.Hour)), "RevokeSessionFamily")
	wantCode(t, s.TouchSession(ctx, "f1", "198.51.100.8", at(4*time.Hour)), launchpad.ENOTFOUND, "TouchSession of a revoked family")
	createSession(t, s, newSession("s3", "u1", "f3", "tok3", at(0)))
	wantCode(t, s.TouchSession(ctx, "f3", "198.51.100.8", at(31*24*time.Hour)), launchpad.ENOTFOUND, "TouchSession of an expired session")
}
