package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A session whose sign-in is older than the step-up window is asked, inline on the security
// page, to confirm it is the user (a mailed code), and then may do what was refused. Every
// form of the flow carries the session's CSRF token.
func TestSecurityActionsAskForAStepUpInline(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("ada@example.com")
	sec := b.get("/security").mustStatus(t, http.StatusOK)
	if !strings.Contains(sec.body, `id="step-up-status"><strong>Confirmed</strong>`) {
		t.Fatalf("a fresh sign-in is not shown as confirmed:\n%s", sec.body)
	}
	tok := sec.csrf(t)
	e.auth.age()

	// The action is refused, and the page says how to confirm, with the form for it.
	p := b.post("/security/totp", url.Values{"csrf_token": {tok}}).mustStatus(t, http.StatusForbidden)
	for _, want := range []string{"Confirm it is you first", "a sign-in from the last 5 minutes", `action="/security/step-up"`, `id="step-up-send"`, `role="alert"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("refused action's page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "/api/auth/step-up") {
		t.Error("the dashboard shows the API's instructions")
	}
	b.post("/security/sign-out-everywhere", url.Values{"csrf_token": {tok}}).mustStatus(t, http.StatusForbidden)
	if e.auth.activeSessions() != 1 {
		t.Fatal("sign-out-everywhere ran without a step-up")
	}

	// No token, no code: a forged step-up form is refused and mails nothing.
	sent := e.auth.sentCount()
	b.post("/security/step-up", url.Values{}).mustStatus(t, http.StatusForbidden)
	if e.auth.sentCount() != sent {
		t.Fatal("a step-up form without its CSRF token sent a code")
	}
	b.post("/security/step-up", url.Values{"csrf_token": {tok}}).mustRedirect(t, "/security?step_up=sent#step-up")
	if e.auth.sentCount() != sent+1 {
		t.Fatal("no confirmation code sent")
	}
	form := b.get("/security?step_up=sent").mustStatus(t, http.StatusOK)
	if !strings.Contains(form.body, `action="/security/step-up/verify"`) || !strings.Contains(form.body, `name="code"`) {
		t.Fatalf("no form for the mailed code:\n%s", form.body)
	}
	wrong := b.post("/security/step-up/verify", url.Values{"csrf_token": {tok}, "code": {"000000"}}).mustStatus(t, http.StatusUnauthorized)
	if !strings.Contains(wrong.body, "The code is wrong") || !strings.Contains(wrong.body, `action="/security/step-up/verify"`) {
		t.Fatalf("a wrong code does not keep the form open:\n%s", wrong.body)
	}
	b.post("/security/step-up/verify", url.Values{"code": {fakeStepUpCode}}).mustStatus(t, http.StatusForbidden) // no CSRF token
	b.post("/security/step-up/verify", url.Values{"csrf_token": {tok}, "code": {fakeStepUpCode}}).mustRedirect(t, "/security?done=stepped_up")
	done := b.get("/security?done=stepped_up").mustStatus(t, http.StatusOK)
	if !strings.Contains(done.body, "Confirmed. You can now change your security settings") {
		t.Fatalf("no confirmation after the step-up:\n%s", done.body)
	}

	// Retried, the action goes through.
	b.post("/security/totp", url.Values{"csrf_token": {tok}}).mustStatus(t, http.StatusOK)
	b.post("/security/recovery-codes", url.Values{"csrf_token": {tok}}).mustStatus(t, http.StatusOK)
}

// Another session is signed out from the table (with a step-up); this browser's own row has
// no button, and a family that is not the user's is not found.
func TestSignOutAnotherSession(t *testing.T) {
	e := newEnv(t)
	phone := e.browser()
	phone.signIn("ada@example.com")
	laptop := e.browser()
	laptop.signIn("ada@example.com")
	sec := laptop.get("/security").mustStatus(t, http.StatusOK)
	if n := strings.Count(sec.body, `/revoke"`); n != 1 {
		t.Fatalf("%d sign-out buttons for two sessions, want one (not this browser's)", n)
	}
	var phoneFamily string
	for _, s := range e.auth.sessionsOf("ada@example.com", e) {
		if !strings.Contains(sec.body, `action="/security/sessions/`+s.FamilyID+`/revoke"`) {
			continue
		}
		phoneFamily = s.FamilyID
	}
	if phoneFamily == "" {
		t.Fatal("the other session's row names no session")
	}
	tok := sec.csrf(t)
	laptop.post("/security/sessions/sign-out", url.Values{"csrf_token": {tok}, "session": {"not-a-session"}}).mustStatus(t, http.StatusNotFound)
	laptop.post("/security/sessions/sign-out", url.Values{"csrf_token": {tok}, "session": {phoneFamily}}).mustRedirect(t, "/security?done=session_signed_out")
	phone.get("/security").mustRedirect(t, "/signin?next=%2Fsecurity")
	laptop.get("/security").mustStatus(t, http.StatusOK)
}
