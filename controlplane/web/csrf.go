package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// Forms are protected twice against cross-site request forgery:
//
//   - http.CrossOriginProtection refuses a POST that the browser marks as cross-site
//     (Sec-Fetch-Site), or whose Origin names another host;
//   - every form carries a token, HMAC-SHA256 under a key derived from the platform secret
//     over what the form is bound to — the session's family id once signed in, the random
//     pre-session cookie before — compared in constant time. Another site can neither read
//     the token nor compute it, and a token taken from one session is refused by another.
//
// Tokens need no storage, survive restarts and hold across replicas; rotating
// PLATFORM_SECRET (with PLATFORM_SECRET_PREVIOUS set) keeps open forms valid.
const (
	csrfField    = "csrf_token"
	csrfLabel    = "launchpad-dashboard-csrf-v1\x00"
	maxFormBytes = 16 << 10
)

// csrfToken is the token of forms bound to binding, under the current key.
func (h *Handler) csrfToken(binding string) string {
	return base64.RawURLEncoding.EncodeToString(csrfMAC(h.csrfKeys[0].Key, binding))
}

// validCSRF reports whether token is a form token for binding under any key of the keyring.
func (h *Handler) validCSRF(binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	ok := false
	for _, k := range h.csrfKeys {
		ok = hmac.Equal(got, csrfMAC(k.Key, binding)) || ok // every key compared: no early exit
	}
	return ok
}

func csrfMAC(key []byte, binding string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(csrfLabel + binding))
	return m.Sum(nil)
}

// Bindings: what a form token is tied to.
func sessionBinding(familyID string) string { return "session:" + familyID }
func presessionBinding(v string) string {
	if v == "" {
		return ""
	}
	return "pre:" + v
}

// newPresessionValue is 32 random bytes, base64url.
func newPresessionValue() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// validPresession reports whether v looks like a value newPresessionValue made.
func validPresession(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// ensurePresession returns the request's pre-session cookie value, setting a new one when it
// is missing or malformed.
func (h *Handler) ensurePresession(w http.ResponseWriter, r *http.Request) string {
	if v := cookie(r, h.cookies.presession); validPresession(v) {
		return v
	}
	v := newPresessionValue()
	h.setCookie(w, h.cookies.presession, v, presessionCookieAge)
	return v
}

// newCrossOriginProtection checks Sec-Fetch-Site / Origin on every POST. The public URL's
// origin is trusted too, for proxies that present another Host to the server.
func (h *Handler) newCrossOriginProtection() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	if o := origin(h.cfg.PublicURL); o != "" {
		_ = c.AddTrustedOrigin(o) // checked by Config.problems
	}
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused. Open the dashboard directly and try again.")
	}))
	return c
}

// crossOrigin wraps a POST handler in the cross-origin check.
func (h *Handler) crossOrigin(next http.Handler) http.Handler { return h.cop.Handler(next) }

// parseForm reads a urlencoded form of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm()
}

// presession guards the signed-out forms: the form must carry the token of the browser's
// pre-session cookie.
func (h *Handler) presession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			h.renderError(w, r, http.StatusBadRequest, "The form could not be read; reload the page and try again.")
			return
		}
		if !h.validCSRF(presessionBinding(cookie(r, h.cookies.presession)), r.PostFormValue(csrfField)) {
			h.refuseCSRF(w, r)
			return
		}
		next(w, r)
	}
}

// refuseCSRF answers a form without a valid token.
func (h *Handler) refuseCSRF(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusForbidden, "This form has expired or did not come from this dashboard, so it was refused. Go back, reload the page and send it again (cookies must be enabled).")
}
