package controlplane

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
)

// mailAbout waits for the n-th message to rcpt with subject. (Mail goes out from a queue with
// two workers: messages of different kinds may arrive in either order.)
func (e *testEnv) mailAbout(rcpt, subject string, n int) *smtptest.Message {
	e.t.Helper()
	var found *smtptest.Message
	waitFor(e.t, fmt.Sprintf("mail #%d %q to %s", n, subject, rcpt), 10*time.Second, func() bool {
		seen := 0
		for _, m := range e.smtp.Messages() {
			if slices.Contains(m.To, rcpt) && m.Header.Get("Subject") == subject {
				if seen++; seen == n {
					found = m
					return true
				}
			}
		}
		return false
	})
	return found
}

const (
	stepUpSubject = "Your Launchpad confirmation code"
	mfaOnSubject  = "Two-factor authentication is on for your Launchpad account"
	mfaOffSubject = "Two-factor authentication is off for your Launchpad account"
)

// stepUpCode asks for a step-up code with token and reads it from the mail, the n-th of its
// kind to email.
func (c *client) stepUpCode(token, email string, n int) (code string, secondFactor bool) {
	t := c.env.t
	t.Helper()
	r := c.do(http.MethodPost, "/api/auth/step-up", token, nil)
	mustStatus(t, r, http.StatusAccepted)
	var res StepUpResponse
	r.decode(t, &res)
	m := c.env.mailAbout(email, stepUpSubject, n)
	match := codeInMail.FindStringSubmatch(m.Body)
	if match == nil {
		t.Fatalf("no code in mail body %q", m.Body)
	}
	return match[1], res.SecondFactor
}

// wantStepUpRequired checks a 403 step_up_required whose message says how to re-verify.
func wantStepUpRequired(t *testing.T, r *response) {
	t.Helper()
	mustStatus(t, r, http.StatusForbidden)
	if r.errorCode(t) != launchpad.ESTEPUP || !strings.Contains(string(r.body), "POST /api/auth/step-up") ||
		!strings.Contains(string(r.body), "POST /api/auth/step-up/verify") || !strings.Contains(string(r.body), "5 minutes") {
		t.Fatalf("not a step-up demand that says how to re-verify: %s", r.body)
	}
}

// The case: a session older than the step-up window gets step_up_required when it
// turns TOTP on; after a step-up it succeeds, and the other session's refresh token (and
// access token) are refused afterwards.
func TestEnablingTOTPNeedsAStepUpAndSignsOutTheOtherSessions(t *testing.T) {
	env := newTestEnv(t)
	const email = "ada@example.com"
	laptop, lt, userID := env.signedIn("laptop", email)
	phone := env.newClient("phone")
	pt := phone.signIn(email)

	env.clock.Advance(DefaultStepUpWindow + time.Second)
	wantStepUpRequired(t, laptop.do(http.MethodPost, "/api/auth/mfa/totp", lt.AccessToken, nil))
	wantStepUpRequired(t, laptop.do(http.MethodPost, "/api/auth/mfa/totp/confirm", lt.AccessToken, map[string]string{"code": "123456"}))
	wantStepUpRequired(t, laptop.do(http.MethodPost, "/api/auth/sessions/revoke-others", lt.AccessToken, nil))
	// A refresh keeps the time of the sign-in: it is no step-up.
	r := laptop.post("/api/auth/refresh", map[string]string{"refresh_token": lt.RefreshToken})
	mustStatus(t, r, http.StatusOK)
	var refreshed TokenResponse
	r.decode(t, &refreshed)
	wantStepUpRequired(t, laptop.do(http.MethodPost, "/api/auth/mfa/totp", refreshed.AccessToken, nil))

	// Step up: the mailed code (two-factor is off, so nothing else), for this session only.
	code, second := laptop.stepUpCode(refreshed.AccessToken, email, 1)
	if second {
		t.Fatal("a step-up asks for a second factor the account does not have")
	}
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", refreshed.AccessToken, map[string]string{"code": wrongCode(code)}), http.StatusUnauthorized)
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", refreshed.AccessToken, map[string]string{"code": code, "totp_code": "123456"}), http.StatusBadRequest)
	r = laptop.do(http.MethodPost, "/api/auth/step-up/verify", refreshed.AccessToken, map[string]string{"code": code})
	mustStatus(t, r, http.StatusOK)
	var up StepUpVerifyResponse
	r.decode(t, &up)
	if up.AccessToken == "" || !up.AuthTime.Equal(env.clock.Now()) || !up.StepUpExpiresAt.Equal(env.clock.Now().Add(DefaultStepUpWindow)) {
		t.Fatalf("step-up answer %s", r.body)
	}
	// The code works once; the phone's session did not step up.
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", refreshed.AccessToken, map[string]string{"code": code}), http.StatusUnauthorized)
	wantStepUpRequired(t, phone.do(http.MethodPost, "/api/auth/mfa/totp", pt.AccessToken, nil))

	// The access token the laptop had counts as stepped up too (same replica: at once).
	r = laptop.do(http.MethodPost, "/api/auth/mfa/totp", refreshed.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	var enrol EnrolTOTPResponse
	r.decode(t, &enrol)
	r = laptop.do(http.MethodPost, "/api/auth/mfa/totp/confirm", up.AccessToken, map[string]string{"code": totpCode(t, enrol.Secret, env.clock.Now())})
	mustStatus(t, r, http.StatusOK)
	var status MFAStatusResponse
	r.decode(t, &status)
	if !status.MFAEnabled || !status.OtherSessionsSignedOut {
		t.Fatalf("confirm answer %s", r.body)
	}

	// The phone is signed out: its refresh token and its access token are refused.
	mustStatus(t, phone.post("/api/auth/refresh", map[string]string{"refresh_token": pt.RefreshToken}), http.StatusUnauthorized)
	waitFor(t, "the phone's access token to be refused", time.Second, func() bool {
		return phone.get("/api/me", pt.AccessToken).status == http.StatusUnauthorized
	})
	// The laptop stays signed in, and its refreshes keep the step-up.
	r = laptop.post("/api/auth/refresh", map[string]string{"refresh_token": refreshed.RefreshToken})
	mustStatus(t, r, http.StatusOK)
	var again TokenResponse
	r.decode(t, &again)
	r = laptop.do(http.MethodPost, "/api/auth/mfa/recovery-codes", again.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	var codes RecoveryCodesResponse
	r.decode(t, &codes)
	if len(codes.RecoveryCodes) != 10 || codes.RecoveryCodes[0] == enrol.RecoveryCodes[0] {
		t.Fatalf("new recovery codes %v", codes.RecoveryCodes)
	}
	if m := env.mailAbout(email, mfaOnSubject, 1); !strings.Contains(m.Body, "Every other session of your account was signed out") || !strings.Contains(m.Body, "laptop") {
		t.Fatalf("mail after turning TOTP on:\n%s", m.Body)
	}

	// Later, turning it off needs a step-up again, now with the authenticator code too.
	env.clock.Advance(DefaultStepUpWindow)
	wantStepUpRequired(t, laptop.do(http.MethodDelete, "/api/auth/mfa/totp", again.AccessToken, nil))
	code, second = laptop.stepUpCode(again.AccessToken, email, 2)
	if !second {
		t.Fatal("with TOTP on, the step-up does not ask for the authenticator code")
	}
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", again.AccessToken, map[string]string{"code": code}), http.StatusBadRequest)
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", again.AccessToken, map[string]string{"code": code, "totp_code": "000000"}), http.StatusUnauthorized)
	mustStatus(t, laptop.do(http.MethodPost, "/api/auth/step-up/verify", again.AccessToken,
		map[string]string{"code": code, "totp_code": totpCode(t, enrol.Secret, env.clock.Now())}), http.StatusOK)
	r = laptop.do(http.MethodDelete, "/api/auth/mfa/totp", again.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	if laptop.me(again.AccessToken).MFAEnabled {
		t.Fatal("TOTP still on")
	}
	env.mailAbout(email, mfaOffSubject, 1)

	actions := env.auditActions(userID)
	for action, want := range map[string]int{launchpad.AuditStepUp: 2, launchpad.AuditMFAConfirmed: 1, launchpad.AuditMFADisabled: 1, launchpad.AuditMFARecoveryRegenerated: 1, launchpad.AuditLogout: 1} {
		if got := count(actions, action); got != want {
			t.Errorf("%d %s events, want %d: %v", got, action, want, actions)
		}
	}
	env.assertLogsFree(lt.AccessToken, pt.RefreshToken, up.AccessToken, code, enrol.Secret)
}

// A session signs out another one (a step-up), and its own with no step-up.
func TestSessionsListAndSignOutOne(t *testing.T) {
	env := newTestEnv(t)
	const email = "ada@example.com"
	laptop, lt, _ := env.signedIn("laptop", email)
	phone := env.newClient("phone")
	pt := phone.signIn(email)
	other, ot, _ := env.signedIn("other", "bob@example.com")

	r := laptop.get("/api/auth/sessions", lt.AccessToken)
	mustStatus(t, r, http.StatusOK)
	var list SessionsResponse
	r.decode(t, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("sessions %s", r.body)
	}
	var phoneID, laptopID string
	for _, s := range list.Sessions {
		switch {
		case s.Current && s.UserAgent == "laptop":
			laptopID = s.ID
		case !s.Current && s.UserAgent == "phone":
			phoneID = s.ID
		}
		if s.AuthTime == nil || !s.AuthTime.Equal(env.clock.Now()) {
			t.Errorf("session %s: auth_time %v", s.ID, s.AuthTime)
		}
	}
	if phoneID == "" || laptopID == "" {
		t.Fatalf("sessions %s", r.body)
	}
	// Another user's session is not found; one's own needs no step-up.
	mustStatus(t, other.do(http.MethodDelete, "/api/auth/sessions/"+phoneID, ot.AccessToken, nil), http.StatusNotFound)
	env.clock.Advance(DefaultStepUpWindow)
	wantStepUpRequired(t, laptop.do(http.MethodDelete, "/api/auth/sessions/"+phoneID, lt.AccessToken, nil))
	mustStatus(t, phone.do(http.MethodDelete, "/api/auth/sessions/"+familyOf(t, pt.AccessToken), pt.AccessToken, nil), http.StatusOK)
	mustStatus(t, phone.get("/api/me", pt.AccessToken), http.StatusUnauthorized)
	mustStatus(t, laptop.get("/api/me", lt.AccessToken), http.StatusOK)
}

// A second use of one mfa_token is refused, even with another valid second factor; of two
// concurrent uses exactly one signs in.
func TestMFATokenIsSingleUse(t *testing.T) {
	env := newTestEnv(t)
	const email = "ada@example.com"
	c, tok, userID := env.signedIn("test", email)
	r := c.do(http.MethodPost, "/api/auth/mfa/totp", tok.AccessToken, nil)
	mustStatus(t, r, http.StatusOK)
	var enrol EnrolTOTPResponse
	r.decode(t, &enrol)
	mustStatus(t, c.do(http.MethodPost, "/api/auth/mfa/totp/confirm", tok.AccessToken, map[string]string{"code": totpCode(t, enrol.Secret, env.clock.Now())}), http.StatusOK)
	env.mailAbout(email, mfaOnSubject, 1)
	env.nextMail(email) // that one: the next sign-in code is the mail after it

	verify := func(mfaToken string, body map[string]string) *response {
		body["mfa_token"] = mfaToken
		return c.post("/api/auth/mfa/verify", body)
	}
	// Sequential: a wrong factor keeps the token; the first right one spends it; the next
	// right one (another recovery code) is refused and keeps its code.
	mfa := c.mfaToken(email)
	mustStatus(t, verify(mfa, map[string]string{"recovery_code": "0000-0000-0000-0000"}), http.StatusUnauthorized)
	mustStatus(t, verify(mfa, map[string]string{"recovery_code": enrol.RecoveryCodes[0]}), http.StatusOK)
	r = verify(mfa, map[string]string{"recovery_code": enrol.RecoveryCodes[1]})
	mustStatus(t, r, http.StatusUnauthorized)
	if !strings.Contains(string(r.body), "already completed") {
		t.Fatalf("second use: %s", r.body)
	}
	env.clock.Advance(30 * time.Second)
	mustStatus(t, verify(mfa, map[string]string{"code": totpCode(t, enrol.Secret, env.clock.Now())}), http.StatusUnauthorized)

	// Concurrent: one token, each request with another unused recovery code.
	mfa = c.mfaToken(email)
	const racers = 8
	statuses := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			statuses[i] = verify(mfa, map[string]string{"recovery_code": enrol.RecoveryCodes[2+i]}).status
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent uses of one mfa_token signed in (statuses %v), want exactly 1", won, racers, statuses)
	}
	u, err := env.store.GetUser(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(u.MFA.RecoveryCodes); n != 8 {
		t.Errorf("%d recovery codes left, want 8: the refused uses must not spend theirs", n)
	}
	if n := count(env.auditActions(userID), launchpad.AuditSignIn); n != 3 {
		t.Errorf("%d sign-ins, want 3 (the first, and one per mfa_token)", n)
	}
}
