package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// stepUpCases cover what step-up and revocation at once need of the store: a family's
// current session and its AuthTime, revoking a user's other sessions, and single-use tokens.
func stepUpCases() []testCase {
	return []testCase{
		{"session/current_session_of_a_family", testCurrentSession},
		{"session/auth_time_kept_by_rotation_and_set_by_step_up", testSessionAuthTime},
		{"session/auth_time_set_while_rotating_reaches_the_current_session", testSessionAuthTimeRacesRotation},
		{"session/revoke_other_sessions", testRevokeOtherSessions},
		{"used_token/once", testUseTokenOnce},
		{"used_token/concurrent_uses_one_winner", testUseTokenConcurrent},
	}
}

// withAuthTime is newSession with its AuthTime set.
func withAuthTime(s *launchpad.Session, authTime time.Time) *launchpad.Session {
	s.AuthTime = authTime
	return s
}

func currentSession(t *testing.T, s launchpad.Store, familyID string) *launchpad.Session {
	t.Helper()
	got, err := s.GetCurrentSession(t.Context(), familyID)
	wantOK(t, err, "GetCurrentSession "+familyID)
	return got
}

func testCurrentSession(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetCurrentSession(ctx, "f-unknown")
	wantCode(t, err, launchpad.ENOTFOUND, "GetCurrentSession of an unknown family")

	first := withAuthTime(newSession("s1", "u1", "f1", "tok1", at(0)), at(0))
	createSession(t, s, first)
	createSession(t, s, newSession("o1", "u1", "f-other", "tok-other", at(time.Hour)))
	wantEqual(t, "the current session of a new family", currentSession(t, s, "f1"), first)

	for i := 1; i <= 3; i++ {
		_, err := s.RotateSession(ctx, fmt.Sprintf("tok%d", i), newSession(fmt.Sprintf("s%d", i+1), "u1", "f1", fmt.Sprintf("tok%d", i+1), at(time.Duration(i)*time.Hour)), at(time.Duration(i)*time.Hour))
		wantOK(t, err, "RotateSession")
	}
	want := withAuthTime(newSession("s4", "u1", "f1", "tok4", at(3*time.Hour)), at(0))
	wantEqual(t, "the current session after three rotations", currentSession(t, s, "f1"), want)

	// A revoked family still has its current session: revoked.
	wantOK(t, s.RevokeSessionFamily(ctx, "f1", at(4*time.Hour)), "RevokeSessionFamily")
	want.RevokedAt = at(4 * time.Hour)
	got := currentSession(t, s, "f1")
	wantEqual(t, "the current session of a revoked family", got, want)
	if got.SignedIn(at(4 * time.Hour)) {
		t.Fatal("the current session of a revoked family signs it in")
	}
	if other := currentSession(t, s, "f-other"); !other.SignedIn(at(4 * time.Hour)) {
		t.Fatal("revoking one family signed another out")
	}
	wantUTC(t, "GetCurrentSession", got.CreatedAt, got.ExpiresAt, got.RevokedAt, got.AuthTime)
}

func testSessionAuthTime(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, withAuthTime(newSession("s1", "u1", "f1", "tok1", at(0)), at(0)))
	res, err := s.RotateSession(ctx, "tok1", newSession("s2", "u1", "f1", "tok2", at(time.Hour)), at(time.Hour))
	wantOK(t, err, "RotateSession")
	if !res.New.AuthTime.Equal(at(0)) {
		t.Fatalf("the rotated session's AuthTime is %s, want the family's %s", res.New.AuthTime, at(0))
	}
	// A step-up sets it on the current session only; the next rotation carries it on.
	wantOK(t, s.SetSessionAuthTime(ctx, "f1", at(90*time.Minute), at(90*time.Minute)), "SetSessionAuthTime")
	if got := currentSession(t, s, "f1").AuthTime; !got.Equal(at(90 * time.Minute)) {
		t.Fatalf("AuthTime after a step-up is %s, want %s", got, at(90*time.Minute))
	}
	if got := getSession(t, s, "tok1").AuthTime; !got.Equal(at(0)) {
		t.Fatalf("a step-up changed a rotated session's AuthTime to %s", got)
	}
	res, err = s.RotateSession(ctx, "tok2", newSession("s3", "u1", "f1", "tok3", at(2*time.Hour)), at(2*time.Hour))
	wantOK(t, err, "RotateSession after a step-up")
	if !res.New.AuthTime.Equal(at(90 * time.Minute)) {
		t.Fatalf("the rotation after a step-up has AuthTime %s, want %s", res.New.AuthTime, at(90*time.Minute))
	}

	// Only a signed-in family steps up.
	err = s.SetSessionAuthTime(ctx, "f-unknown", at(3*time.Hour), at(3*time.Hour))
	wantCode(t, err, launchpad.ENOTFOUND, "SetSessionAuthTime of an unknown family")
	wantOK(t, s.RevokeSessionFamily(ctx, "f1", at(3*time.Hour)), "RevokeSessionFamily")
	err = s.SetSessionAuthTime(ctx, "f1", at(4*time.Hour), at(4*time.Hour))
	wantCode(t, err, launchpad.ENOTFOUND, "SetSessionAuthTime of a revoked family")
	expiring := newSession("e1", "u1", "f2", "tok-e", at(0))
	expiring.ExpiresAt = at(time.Hour)
	createSession(t, s, expiring)
	err = s.SetSessionAuthTime(ctx, "f2", at(time.Hour), at(time.Hour))
	wantCode(t, err, launchpad.ENOTFOUND, "SetSessionAuthTime of an expired family")
	if got := currentSession(t, s, "f2").AuthTime; !got.IsZero() {
		t.Fatalf("a refused step-up set AuthTime %s", got)
	}
}

// A step-up racing with a refresh: whichever commits first, the family's current session
// afterwards carries the step-up's time.
func testSessionAuthTimeRacesRotation(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	const rounds = 8
	for r := range rounds {
		family := fmt.Sprintf("f%d", r)
		createSession(t, s, withAuthTime(newSession("s0-"+family, "u1", family, "tok0-"+family, at(0)), at(0)))
		stepUp := at(time.Duration(r+1) * time.Minute)
		Race(2, func(i int) {
			if i == 0 {
				_, err := s.RotateSession(ctx, "tok0-"+family, newSession("s1-"+family, "u1", family, "tok1-"+family, at(time.Second)), at(time.Second))
				if err != nil {
					t.Errorf("RotateSession: %v", err)
				}
				return
			}
			if err := s.SetSessionAuthTime(ctx, family, stepUp, at(time.Second)); err != nil {
				t.Errorf("SetSessionAuthTime: %v", err)
			}
		})
		cur := currentSession(t, s, family)
		if cur.ID != "s1-"+family || !cur.AuthTime.Equal(stepUp) {
			t.Fatalf("round %d: the current session is %s with AuthTime %s, want s1-%s with the step-up's %s", r, cur.ID, cur.AuthTime, family, stepUp)
		}
	}
}

func testRevokeOtherSessions(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	createSession(t, s, newSession("s1", "u1", "f1", "tok1", at(0)))
	createSession(t, s, newSession("s2", "u1", "f2", "tok2", at(0)))
	createSession(t, s, newSession("s3", "u1", "f3", "tok3", at(0)))
	createSession(t, s, newSession("x1", "u2", "f4", "tok4", at(0)))
	_, err := s.RotateSession(ctx, "tok2", newSession("s2b", "u1", "f2", "tok2b", at(time.Minute)), at(time.Minute))
	wantOK(t, err, "RotateSession")

	wantOK(t, s.RevokeOtherSessions(ctx, "u1", "f2", at(time.Hour)), "RevokeOtherSessions")
	for tok, revoked := range map[string]bool{"tok1": true, "tok3": true, "tok2": false, "tok2b": false, "tok4": false} {
		if got := getSession(t, s, tok); got.RevokedAt.IsZero() == revoked {
			t.Errorf("session %s: revoked at %s, want revoked %v", tok, got.RevokedAt, revoked)
		}
	}
	wantOK(t, s.RevokeOtherSessions(ctx, "u1", "f2", at(2*time.Hour)), "RevokeOtherSessions again")
	if got := getSession(t, s, "tok1"); !got.RevokedAt.Equal(at(time.Hour)) {
		t.Fatalf("revoking again moved RevokedAt to %s", got.RevokedAt)
	}
	sessions, err := s.ListSessions(ctx, "u1", at(3*time.Hour))
	wantOK(t, err, "ListSessions")
	if len(sessions) != 1 || sessions[0].FamilyID != "f2" {
		t.Fatalf("ListSessions after signing out the others = %v, want only family f2's current session", sessions)
	}
	wantOK(t, s.RevokeOtherSessions(ctx, "u-unknown", "f-none", at(time.Hour)), "RevokeOtherSessions of a user without sessions")
}

func testUseTokenOnce(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	expires := at(5 * time.Minute)
	wantOK(t, s.UseToken(ctx, "jti-1", expires, at(0)), "UseToken")
	wantCode(t, s.UseToken(ctx, "jti-1", expires, at(time.Minute)), launchpad.ECONFLICT, "UseToken of a used token")
	wantOK(t, s.UseToken(ctx, "jti-2", expires, at(time.Minute)), "UseToken of another token")
	wantCode(t, s.UseToken(ctx, "jti-1", expires, at(5*time.Minute-time.Microsecond)), launchpad.ECONFLICT, "UseToken just before the marker expires")
	// Once the token has expired, its marker no longer counts (the token is refused by its
	// own expiry); it may have been purged.
	wantOK(t, s.UseToken(ctx, "jti-1", at(20*time.Minute), at(5*time.Minute)), "UseToken after the marker expired")
	wantCode(t, s.UseToken(ctx, "jti-1", at(20*time.Minute), at(6*time.Minute)), launchpad.ECONFLICT, "UseToken of the renewed marker")
}

func testUseTokenConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	errs := make([]error, concurrency)
	Race(concurrency, func(i int) {
		errs[i] = s.UseToken(ctx, "jti-race", at(5*time.Minute), at(time.Duration(i)*time.Millisecond))
	})
	wantOneWinner(t, errs, "concurrent uses of one token")
}
