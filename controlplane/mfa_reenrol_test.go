package controlplane

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A TOTP factor marked for re-enrolment (rotate-secret --rotate-keys after a leaked platform
// secret): at sign-in its codes are refused with what to do, a recovery code is accepted, the
// user may then enrol a new factor over it, and confirming that clears the mark. A marked user
// with no recovery code left signs in with the emailed code alone.
func TestMarkedTOTPFactorMustBeEnrolledAgain(t *testing.T) {
	env := newTestEnv(t)
	c, tok, userID := env.signedIn("test", "mia@example.com")
	var enrol EnrolTOTPResponse
	r := c.do(http.MethodPost, "/api/auth/mfa/totp", tok.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &enrol)
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", tok.AccessToken, map[string]string{"code": totpCode(t, enrol.Secret, env.clock.Now())}), http.StatusOK)
	mfaOnMailed(t, env, "mia@example.com")
	if _, err := env.store.UpdateUser(context.Background(), userID, func(u *launchpad.User) error { u.MFA.ReenrolRequired = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if !c.me(tok.AccessToken).MFAReenrolRequired {
		t.Fatal("GET /api/me does not say the factor must be enrolled again")
	}

	signIn := func() TokenResponse {
		t.Helper()
		r := c.post("/api/auth/verify", map[string]string{"email": "mia@example.com", "code": c.requestCode("mia@example.com")})
		mustStatus(t, r, http.StatusOK)
		var step TokenResponse
		r.decode(t, &step)
		return step
	}
	step := signIn()
	if !step.MFARequired || step.MFAToken == "" {
		t.Fatalf("a marked factor with recovery codes left must still ask for the second factor: %+v", step)
	}
	env.clock.Advance(30 * time.Second)
	r = c.post("/api/auth/mfa/verify", map[string]string{"mfa_token": step.MFAToken, "code": totpCode(t, enrol.Secret, env.clock.Now())})
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "recovery_code") {
		t.Fatalf("a code from the marked factor: %d %s; want 401 saying to send a recovery code", r.status, r.body)
	}
	r = c.post("/api/auth/mfa/verify", map[string]string{"mfa_token": step.MFAToken, "recovery_code": enrol.RecoveryCodes[0]})
	mustStatus(t, r, http.StatusOK)
	var session TokenResponse
	r.decode(t, &session)

	// Enrol again over the marked factor; confirming clears the mark.
	var again EnrolTOTPResponse
	r = c.do(http.MethodPost, "/api/auth/mfa/totp", session.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &again)
	if again.Secret == enrol.Secret {
		t.Fatal("re-enrolment kept the old secret")
	}
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", session.AccessToken, map[string]string{"code": totpCode(t, again.Secret, env.clock.Now())}), http.StatusOK)
	mfaOnMailed(t, env, "mia@example.com")
	u, err := env.store.GetUser(context.Background(), userID)
	if err != nil || u.MFA.ReenrolRequired || !u.MFA.Enabled() {
		t.Fatalf("after re-enrolment: %+v, %v; want the new factor on and unmarked", u.MFA, err)
	}
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp", session.AccessToken, nil), http.StatusConflict)

	// Marked with no recovery code left: the emailed code alone signs in.
	if _, err := env.store.UpdateUser(context.Background(), userID, func(u *launchpad.User) error {
		u.MFA.ReenrolRequired, u.MFA.RecoveryCodes = true, nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if step := signIn(); step.MFARequired || step.AccessToken == "" {
		t.Fatalf("a marked factor without recovery codes: %+v; want a session from the emailed code", step)
	}
}

// mfaOnMailed takes the "two-factor authentication is on" mail that confirming a factor sends.
func mfaOnMailed(t *testing.T, env *testEnv, email string) {
	t.Helper()
	if m := env.nextMail(email); m.Header.Get("Subject") != mfaOnSubject {
		t.Fatalf("after confirming TOTP: mail %q, want %q", m.Header.Get("Subject"), mfaOnSubject)
	}
}
