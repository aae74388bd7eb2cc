package storetest

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func signInCases() []testCase {
	return []testCase{
		{"signin/verify_success_marks_used", testSignInSuccess},
		{"signin/not_found", testSignInNotFound},
		{"signin/put_replaces_old_code", testSignInReplace},
		{"signin/expired", testSignInExpired},
		{"signin/wrong_guess", testSignInWrongGuess},
		{"signin/sixth_guess_rate_limited_even_when_right", testSignInRateLimited},
		{"signin/parallel_guesses_compare_at_most_max", testSignInParallel},
	}
}

func newSignInCode(email string, hmac []byte) *launchpad.SignInCode {
	return &launchpad.SignInCode{
		Email:     email,
		HMAC:      hmac,
		CreatedAt: at(0),
		ExpiresAt: at(launchpad.SignInCodeTTL),
	}
}

// putCode stores a fresh code for a@example.com, failing t when the store refuses it, and
// returns the code's HMAC.
func putCode(t *testing.T, s launchpad.Store) []byte {
	t.Helper()
	hmac := randomBytes(1, 32)
	wantOK(t, s.PutSignInCode(t.Context(), newSignInCode("a@example.com", hmac)), "PutSignInCode")
	return hmac
}

// matches returns a match function that accepts exactly want and counts its calls.
func matches(want []byte, calls *atomic.Int64) func([]byte) bool {
	return func(h []byte) bool {
		if calls != nil {
			calls.Add(1)
		}
		return bytes.Equal(h, want)
	}
}

func testSignInSuccess(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	hmac := putCode(t, s)
	got, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), launchpad.SignInCodeMaxAttempts, matches(hmac, nil))
	wantOK(t, err, "VerifySignInCode with the right code")
	want := newSignInCode("a@example.com", hmac)
	want.Attempts, want.Used = 1, true
	wantEqual(t, "the verified code", got, want)

	_, err = s.VerifySignInCode(ctx, "a@example.com", at(2*time.Minute), launchpad.SignInCodeMaxAttempts, matches(hmac, nil))
	wantCode(t, err, launchpad.EINVALID, "a second use of the same code")
}

func testSignInNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	putCode(t, s)
	var calls atomic.Int64
	_, err := s.VerifySignInCode(ctx, "b@example.com", at(time.Minute), 5, matches(nil, &calls))
	wantCode(t, err, launchpad.ENOTFOUND, "VerifySignInCode for an email without a code")
	if calls.Load() != 0 {
		t.Fatal("match was called although there is no code")
	}
}

func testSignInReplace(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	old, cur := randomBytes(1, 32), randomBytes(2, 32)
	wantOK(t, s.PutSignInCode(ctx, newSignInCode("a@example.com", old)), "PutSignInCode old")
	// Two wrong guesses on the old code do not count against the new one.
	for range 2 {
		_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), 5, matches(nil, nil))
		wantCode(t, err, launchpad.EINVALID, "wrong guess")
	}
	next := newSignInCode("a@example.com", cur)
	next.CreatedAt, next.ExpiresAt = at(2*time.Minute), at(2*time.Minute+launchpad.SignInCodeTTL)
	wantOK(t, s.PutSignInCode(ctx, next), "PutSignInCode new")

	_, err := s.VerifySignInCode(ctx, "a@example.com", at(3*time.Minute), 5, matches(old, nil))
	wantCode(t, err, launchpad.EINVALID, "the replaced code")
	got, err := s.VerifySignInCode(ctx, "a@example.com", at(3*time.Minute), 5, matches(cur, nil))
	wantOK(t, err, "the current code")
	if got.Attempts != 2 || !bytes.Equal(got.HMAC, cur) || !got.ExpiresAt.Equal(next.ExpiresAt) {
		t.Fatalf("verified code has %d attempts, hmac equal %v, expires %s; want 2 attempts on the new code", got.Attempts, bytes.Equal(got.HMAC, cur), got.ExpiresAt)
	}
}

func testSignInExpired(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	hmac := putCode(t, s)
	var calls atomic.Int64
	_, err := s.VerifySignInCode(ctx, "a@example.com", at(launchpad.SignInCodeTTL+time.Second), 5, matches(hmac, &calls))
	wantCode(t, err, launchpad.EINVALID, "an expired code")
	if calls.Load() != 0 {
		t.Fatal("match was called for an expired code")
	}
	_, err = s.VerifySignInCode(ctx, "a@example.com", at(launchpad.SignInCodeTTL), 5, matches(hmac, &calls))
	wantCode(t, err, launchpad.EINVALID, "a code at its expiry time")
}

func testSignInWrongGuess(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	hmac := putCode(t, s)
	var calls atomic.Int64
	_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), 5, matches(randomBytes(9, 32), &calls))
	wantCode(t, err, launchpad.EINVALID, "a wrong guess")
	if calls.Load() != 1 {
		t.Fatalf("match was called %d times for one guess", calls.Load())
	}
	got, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), 5, matches(hmac, &calls))
	wantOK(t, err, "the right guess after a wrong one")
	if got.Attempts != 2 {
		t.Fatalf("attempts = %d after two guesses", got.Attempts)
	}
}

func testSignInRateLimited(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	hmac := putCode(t, s)
	for range launchpad.SignInCodeMaxAttempts {
		_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), launchpad.SignInCodeMaxAttempts, matches(nil, nil))
		wantCode(t, err, launchpad.EINVALID, "wrong guess")
	}
	var calls atomic.Int64
	_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), launchpad.SignInCodeMaxAttempts, matches(hmac, &calls))
	wantCode(t, err, launchpad.ERATELIMITED, "the right code on the 6th guess")
	if calls.Load() != 0 {
		t.Fatal("match was called after the attempts ran out")
	}
	// And it stays locked.
	_, err = s.VerifySignInCode(ctx, "a@example.com", at(2*time.Minute), launchpad.SignInCodeMaxAttempts, matches(hmac, &calls))
	wantCode(t, err, launchpad.ERATELIMITED, "the right code on the 7th guess")
}

func testSignInParallel(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	hmac := putCode(t, s)
	var calls atomic.Int64
	Race(concurrency, func(i int) {
		_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), launchpad.SignInCodeMaxAttempts, matches(nil, &calls))
		switch launchpad.ErrorCode(err) {
		case launchpad.EINVALID, launchpad.ERATELIMITED:
		default:
			t.Errorf("parallel wrong guess %d: %v, want invalid or rate_limited", i, err)
		}
	})
	if n := calls.Load(); n > launchpad.SignInCodeMaxAttempts {
		t.Fatalf("%d parallel guesses made %d comparisons, want at most %d", concurrency, n, launchpad.SignInCodeMaxAttempts)
	}
	// The counter reached the limit: even the right code is refused now.
	_, err := s.VerifySignInCode(ctx, "a@example.com", at(time.Minute), launchpad.SignInCodeMaxAttempts, matches(hmac, nil))
	wantCode(t, err, launchpad.ERATELIMITED, "the right code after 16 parallel wrong guesses")
}
