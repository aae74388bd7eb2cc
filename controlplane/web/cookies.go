package web

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// cookieNames are the dashboard's cookies. Over https they carry the __Host- prefix, which
// browsers accept only with Secure, Path=/ and no Domain: no subdomain can set or shadow them.
type cookieNames struct {
	session    string // the session's refresh token
	presession string // random: binds the sign-in forms' CSRF tokens
	email      string // the address a code was sent to, between the two sign-in steps
	mfa        string // the MFA token, between the code and the second factor
}

func newCookieNames(secure bool) cookieNames {
	prefix := ""
	if secure {
		prefix = "__Host-"
	}
	return cookieNames{
		session:    prefix + "lp_session",
		presession: prefix + "lp_presession",
		email:      prefix + "lp_signin_email",
		mfa:        prefix + "lp_mfa",
	}
}

// Lifetimes of the sign-in cookies: as long as what they carry is good for.
const (
	emailCookieAge      = 15 * time.Minute // a sign-in code's life
	mfaCookieAge        = 5 * time.Minute  // the MFA token's life (Config.MFATokenTTL)
	presessionCookieAge = 24 * time.Hour
)

// setCookie sets an HttpOnly, SameSite=Lax cookie on path /, Secure when the public URL is
// https. maxAge 0 makes it last for the browser session.
func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie deletes a cookie set by setCookie.
func (h *Handler) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// cookie returns the value of the named cookie, or "".
func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// The email cookie is base64url: addresses may hold characters a cookie value may not.
func encodeEmail(email string) string { return base64.RawURLEncoding.EncodeToString([]byte(email)) }

// It holds the address as typed, which may be longer than its canonical form (fullwidth
// letters take 3 bytes each); CanonicalEmail refuses anything longer anyway.
func decodeEmail(v string) string {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 4*launchpad.MaxEmailLength {
		return ""
	}
	return string(b)
}
