package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// errNoSessionOpened is a second-factor step that neither failed nor opened a session: a bug
// of the Auth implementation, reported as such.
var errNoSessionOpened = launchpad.Errorf(launchpad.EINTERNAL, "the second factor was accepted but no session was opened")

// Signing in takes up to three pages, each a plain form: the email address, the six-digit
// code mailed to it, and — when the account has one — the authenticator code or a recovery
// code. Between the steps the address and the MFA token travel in short-lived HttpOnly
// cookies, never in the page or the URL.

// signInData is what the sign-in pages show.
type signInData struct {
	Email string
	Next  string // where to go afterwards (a known dashboard path)
}

func (h *Handler) signInView(w http.ResponseWriter, r *http.Request, title string, data signInData) *view {
	return &view{Title: title, CSRF: h.csrfToken(presessionBinding(h.ensurePresession(w, r))), Data: data}
}

// doneMessages are the confirmations a redirect may ask for with ?done=; only these fixed
// texts are ever shown, so the parameter cannot put words on the page.
var doneMessages = map[string]string{
	"signed_out":            "You are signed out.",
	"account_deleted":       "Your account is being deleted: your tenant is torn down and your data erased within minutes. You are signed out everywhere.",
	"signed_out_everywhere": "You are signed out on every device. Sign in again to continue.",
	"mfa_on":                "Two-factor authentication is on, and every other session was signed out. From now on, signing in asks for a code from your authenticator app.",
	"mfa_off":               "Two-factor authentication is off. Signing in now needs only the emailed code.",
	"stepped_up":            "Confirmed. You can now change your security settings; try again what you were doing.",
	"step_up_required":      "Confirm it is you first: send yourself a code below, enter it, then try again.",
	"session_signed_out":    "That session is signed out.",
}

// handleSignInPage asks for the email address.
func (h *Handler) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := h.loadSession(r); err == nil {
		http.Redirect(w, r, nextPage(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := h.signInView(w, r, "Sign in", signInData{Next: nextPage(r.URL.Query().Get("next"))})
	v.Flash = doneMessages[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "signin", v)
}

// handleSendCode mails a code and moves on to the code page.
func (h *Handler) handleSendCode(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := nextPage(r.PostFormValue("next"))
	if err := h.auth.SendCode(r, email); err != nil {
		status, msg := h.errorStatus(w, r, err)
		v := h.signInView(w, r, "Sign in", signInData{Email: email, Next: next})
		v.Error = msg
		h.render(w, r, status, "signin", v)
		return
	}
	// The address as typed, not its canonical form: VerifyCode needs it to find an account
	// stored before canonical emails and not yet rewritten by `emails --migrate`.
	h.setCookie(w, h.cookies.email, encodeEmail(email), emailCookieAge)
	http.Redirect(w, r, withNext("/signin/code", next), http.StatusSeeOther)
}

// handleCodePage asks for the mailed code.
func (h *Handler) handleCodePage(w http.ResponseWriter, r *http.Request) {
	email := decodeEmail(cookie(r, h.cookies.email))
	if email == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "code", h.signInView(w, r, "Enter your code", signInData{Email: email, Next: nextPage(r.URL.Query().Get("next"))}))
}

// handleVerifyCode checks the code: it signs in, or moves on to the second factor.
func (h *Handler) handleVerifyCode(w http.ResponseWriter, r *http.Request) {
	email := decodeEmail(cookie(r, h.cookies.email))
	next := nextPage(r.PostFormValue("next"))
	if email == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	res, err := h.auth.VerifyCode(w, r, email, r.PostFormValue("code"))
	if err == nil && res.MFAToken != "" {
		h.setCookie(w, h.cookies.mfa, res.MFAToken, mfaCookieAge)
		h.clearCookie(w, h.cookies.email)
		http.Redirect(w, r, withNext("/signin/second-factor", next), http.StatusSeeOther)
		return
	}
	if err == nil {
		err = h.startSession(r.Context(), w, res.RefreshToken)
	}
	if err != nil {
		status, msg := h.errorStatus(w, r, err)
		v := h.signInView(w, r, "Enter your code", signInData{Email: email, Next: next})
		v.Error = msg
		h.render(w, r, status, "code", v)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleSecondFactorPage asks for the authenticator code (or a recovery code).
func (h *Handler) handleSecondFactorPage(w http.ResponseWriter, r *http.Request) {
	if cookie(r, h.cookies.mfa) == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "second_factor", h.signInView(w, r, "Two-factor authentication", signInData{Next: nextPage(r.URL.Query().Get("next"))}))
}

// handleVerifySecondFactor completes the sign-in.
func (h *Handler) handleVerifySecondFactor(w http.ResponseWriter, r *http.Request) {
	token := cookie(r, h.cookies.mfa)
	next := nextPage(r.PostFormValue("next"))
	if token == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	res, err := h.auth.VerifySecondFactor(w, r, token, strings.TrimSpace(r.PostFormValue("code")), strings.TrimSpace(r.PostFormValue("recovery_code")))
	if err == nil && res.RefreshToken == "" {
		err = errNoSessionOpened
	}
	if err == nil {
		err = h.startSession(r.Context(), w, res.RefreshToken)
	}
	if err != nil {
		status, msg := h.errorStatus(w, r, err)
		v := h.signInView(w, r, "Two-factor authentication", signInData{Next: next})
		v.Error = msg
		h.render(w, r, status, "second_factor", v)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleSignOut ends this browser's session.
func (h *Handler) handleSignOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.auth.SignOut(r, s.token); err != nil {
		h.failed(w, r, err)
		return
	}
	h.clearCookie(w, h.cookies.session)
	http.Redirect(w, r, "/signin?done=signed_out", http.StatusSeeOther)
}

// withNext adds ?next= to path unless next is the overview.
func withNext(path, next string) string {
	if next == "/" {
		return path
	}
	return path + "?" + url.Values{"next": {next}}.Encode()
}
