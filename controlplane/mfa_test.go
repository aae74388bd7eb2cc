package controlplane

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/pquerna/otp/totp"
)

func TestTOTPEnrolConfirmAndSignIn(t *testing.T) {
	env := newTestEnv(t)
	c, tok, userID := env.signedIn("test", "ada@example.com")

	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp", "", nil), http.StatusUnauthorized)
	r := c.do(http.MethodPost, "/api/auth/mfa/totp", tok.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	var enrol EnrolTOTPResponse
	r.decode(t, &enrol)
	if enrol.Secret == "" || !strings.HasPrefix(enrol.OTPAuthURL, "otpauth://totp/Launchpad:ada@example.com?") || len(enrol.RecoveryCodes) != 10 {
		t.Fatalf("enrolment = %+v", enrol)
	}

	// The secret is stored sealed, the recovery codes hashed.
	u, err := env.store.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.MFA.SealedSecret, enrol.Secret) || u.MFA.Confirmed || len(u.MFA.RecoveryCodes) != 10 {
		t.Fatalf("stored MFA = %+v", u.MFA)
	}
	for i, h := range u.MFA.RecoveryCodes {
		if strings.Contains(h, strings.ReplaceAll(enrol.RecoveryCodes[i], "-", "")) {
			t.Fatal("recovery code stored in clear")
		}
	}
	if c.me(tok.AccessToken).MFAEnabled {
		t.Fatal("MFA on before confirmation")
	}

	confirm := func(code string) *response {
		return c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", tok.AccessToken, map[string]string{"code": code})
	}
	mustStatus(t, confirm(wrongCode(totpCode(t, enrol.Secret, env.clock.Now()))), http.StatusUnauthorized)
	code := totpCode(t, enrol.Secret, env.clock.Now())
	mustStatus(t, confirm(code), http.StatusOK)
	if !c.me(tok.AccessToken).MFAEnabled {
		t.Fatal("MFA off after confirmation")
	}
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp", tok.AccessToken, nil), http.StatusConflict)
	if m := env.nextMail("ada@example.com"); m.Header.Get("Subject") != "Two-factor authentication is on for your Launchpad account" ||
		!strings.Contains(m.Body, "Every other session of your account was signed out") {
		t.Fatalf("mail after turning TOTP on: %q\n%s", m.Header.Get("Subject"), m.Body)
	}

	// Sign in again: the email code alone is not enough any more.
	emailCode := c.requestCode("ada@example.com")
	r = c.post("/api/auth/verify", map[string]string{"email": "ada@example.com", "code": emailCode})
	mustStatus(t, r, http.StatusOK)
	var step1 TokenResponse
	r.decode(t, &step1)
	if !step1.MFARequired || step1.MFAToken == "" || step1.AccessToken != "" || step1.RefreshToken != "" {
		t.Fatalf("verify with MFA on = %s", r.body)
	}
	// The MFA token is no access token.
	mustStatus(t, c.get("/api/me", step1.MFAToken), http.StatusUnauthorized)

	verifyMFA := func(body map[string]string) *response {
		body["mfa_token"] = step1.MFAToken
		return c.post("/api/auth/mfa/verify", body)
	}
	// The code used for confirmation is a replay, even within its step.
	mustStatus(t, verifyMFA(map[string]string{"code": code}), http.StatusUnauthorized)
	env.clock.Advance(30 * time.Second)
	next := totpCode(t, enrol.Secret, env.clock.Now())
	r = verifyMFA(map[string]string{"code": next})
	mustStatus(t, r, http.StatusOK)
	var signedIn TokenResponse
	r.decode(t, &signedIn)
	if signedIn.AccessToken == "" || signedIn.RefreshToken == "" {
		t.Fatalf("mfa verify = %s", r.body)
	}
	// The same code once more, within its step: refused.
	mustStatus(t, verifyMFA(map[string]string{"code": next}), http.StatusUnauthorized)
	// The previous step's code is within the skew but before the last accepted step: refused.
	env.clock.Advance(30 * time.Second)
	mustStatus(t, verifyMFA(map[string]string{"code": next}), http.StatusUnauthorized)
	// A third failure in a row is a burst: audited once.
	mustStatus(t, verifyMFA(map[string]string{"code": wrongCode(totpCode(t, enrol.Secret, env.clock.Now()))}), http.StatusUnauthorized)

	// Recovery codes: each works once, typed loosely. (A new sign-in: the MFA token above
	// gave its one session.)
	verifyWith := func(mfaToken string, body map[string]string) *response {
		body["mfa_token"] = mfaToken
		return c.post("/api/auth/mfa/verify", body)
	}
	step2 := c.mfaToken("ada@example.com")
	rc := strings.ToUpper(strings.ReplaceAll(enrol.RecoveryCodes[3], "-", " "))
	mustStatus(t, verifyWith(step2, map[string]string{"recovery_code": rc}), http.StatusOK)
	step3 := c.mfaToken("ada@example.com")
	mustStatus(t, verifyWith(step3, map[string]string{"recovery_code": enrol.RecoveryCodes[3]}), http.StatusUnauthorized)
	mustStatus(t, verifyWith(step3, map[string]string{"recovery_code": "0000-0000-0000-0000"}), http.StatusUnauthorized)
	u, err = env.store.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.MFA.RecoveryCodes) != 9 {
		t.Fatalf("%d recovery codes left, want 9", len(u.MFA.RecoveryCodes))
	}

	// Exactly one factor per request; an expired MFA token is refused.
	mustStatus(t, verifyWith(step3, map[string]string{}), http.StatusBadRequest)
	mustStatus(t, verifyWith(step3, map[string]string{"code": "123456", "recovery_code": "x"}), http.StatusBadRequest)
	env.clock.Advance(DefaultMFATokenTTL)
	mustStatus(t, verifyWith(step3, map[string]string{"recovery_code": enrol.RecoveryCodes[4]}), http.StatusUnauthorized)

	actions := env.auditActions(userID)
	for _, want := range []string{launchpad.AuditMFAEnrolled, launchpad.AuditMFAConfirmed, launchpad.AuditMFARecoveryUsed} {
		if count(actions, want) != 1 {
			t.Errorf("want one %s in %v", want, actions)
		}
	}
	if count(actions, launchpad.AuditSignInFailed) != 1 {
		t.Errorf("want one burst of second-factor failures in %v", actions)
	}
	if count(actions, launchpad.AuditSignIn) != 3 {
		t.Errorf("want three sign-ins in %v", actions)
	}
	env.assertLogsFree(append([]string{enrol.Secret, code, next, step1.MFAToken, step2, step3, signedIn.AccessToken, signedIn.RefreshToken, emailCode}, enrol.RecoveryCodes...)...)
}

// mfaToken signs email in up to the second factor and returns the MFA token.
func (c *client) mfaToken(email string) string {
	t := c.env.t
	t.Helper()
	r := c.post("/api/auth/verify", map[string]string{"email": email, "code": c.requestCode(email)})
	mustStatus(t, r, http.StatusOK)
	var step TokenResponse
	r.decode(t, &step)
	if !step.MFARequired || step.MFAToken == "" {
		t.Fatalf("verify with MFA on = %s", r.body)
	}
	return step.MFAToken
}

func TestTOTPGuessesAreRateLimitedPerUser(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Limits.MFAPerUser = RateLimit{Every: time.Minute, Burst: 2} })
	c := env.newClient("test")
	tok := c.signIn("ada@example.com")
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp", tok.AccessToken, nil), http.StatusOK)
	for range 2 {
		mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", tok.AccessToken, map[string]string{"code": "000000"}), http.StatusUnauthorized)
	}
	r := c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", tok.AccessToken, map[string]string{"code": "000000"})
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "60" {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
}

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

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
