package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The dashboard's session cookie holds the refresh token of a session that Auth opened: an
// opaque value the store keeps only as a hash. Every request looks the session up, so signing
// out — here, through the API, or everywhere — ends it at once, and a rotated or
// reused-and-revoked token is refused. The cookie is HttpOnly (no script reads it), SameSite=Lax
// (not sent with cross-site POSTs), Secure and __Host- over https, and lives as long as the
// session does.

// session is what a signed-in request knows. token never reaches a page.
type session struct {
	token string
	sess  *launchpad.Session
	user  *launchpad.User
	csrf  string // the token of this session's forms
}

var errSignedOut = errors.New("not signed in")

// loadSession finds the request's session: errSignedOut when there is none or it ended.
func (h *Handler) loadSession(r *http.Request) (*session, error) {
	tok := cookie(r, h.cookies.session)
	if tok == "" {
		return nil, errSignedOut
	}
	ctx := r.Context()
	s, err := h.auth.Session(ctx, tok)
	switch launchpad.ErrorCode(err) {
	case "":
	case launchpad.EUNAUTHORIZED, launchpad.ENOTFOUND, launchpad.EINVALID:
		return nil, errSignedOut
	default:
		return nil, err
	}
	u, err := h.store.GetUser(ctx, s.UserID)
	if launchpad.IsNotFound(err) {
		return nil, errSignedOut
	} else if err != nil {
		return nil, err
	}
	h.auth.Seen(r, s)
	return &session{token: tok, sess: s, user: u, csrf: h.csrfToken(sessionBinding(s.FamilyID))}, nil
}

// signedIn serves pages that need a session; without one the browser is sent to sign in.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.requireSession(w, r)
		if ok {
			next(w, r, s)
		}
	}
}

// signedInForm serves the signed-in forms: a session and its CSRF token are required.
func (h *Handler) signedInForm(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.requireSession(w, r)
		if !ok {
			return
		}
		if err := parseForm(w, r); err != nil {
			h.renderError(w, r, http.StatusBadRequest, "The form could not be read; reload the page and try again.")
			return
		}
		if !h.validCSRF(sessionBinding(s.sess.FamilyID), r.PostFormValue(csrfField)) {
			h.refuseCSRF(w, r)
			return
		}
		next(w, r, s)
	}
}

// signedInStream serves the event stream: without a session it answers 401 (an EventSource
// cannot follow a redirect to a page).
func (h *Handler) signedInStream(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.loadSession(r)
		if err != nil {
			status := http.StatusUnauthorized
			if !errors.Is(err, errSignedOut) {
				h.log.Warn("session lookup failed", "error", err.Error())
				status = http.StatusServiceUnavailable
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		next(w, r, s)
	}
}

// requireSession loads the session or answers: a redirect to sign in when there is none.
func (h *Handler) requireSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	s, err := h.loadSession(r)
	switch {
	case errors.Is(err, errSignedOut):
		if cookie(r, h.cookies.session) != "" {
			h.clearCookie(w, h.cookies.session)
		}
		target := "/signin"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?" + url.Values{"next": {r.URL.Path}}.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil, false
	case err != nil:
		h.log.Warn("session lookup failed", "error", err.Error())
		h.renderError(w, r, http.StatusServiceUnavailable, "The dashboard cannot reach its store just now; try again in a minute.")
		return nil, false
	}
	return s, true
}

// startSession stores a new session's refresh token in the session cookie, for as long as
// the session lives, and drops the sign-in cookies.
func (h *Handler) startSession(ctx context.Context, w http.ResponseWriter, refreshToken string) error {
	s, err := h.auth.Session(ctx, refreshToken)
	if err != nil {
		return err
	}
	h.setCookie(w, h.cookies.session, refreshToken, max(time.Second, s.ExpiresAt.Sub(h.now())))
	h.clearCookie(w, h.cookies.email)
	h.clearCookie(w, h.cookies.mfa)
	return nil
}

// nextPage is where to go after signing in: a dashboard page named by ?next=, else the
// overview. Only the known paths are accepted, so the parameter cannot send anyone away.
func nextPage(v string) string {
	switch v {
	case "/audit", "/security", "/billing":
		return v
	}
	return "/"
}
