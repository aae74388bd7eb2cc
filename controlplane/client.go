package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
)

// deviceCookie holds a random device id. The auth service keeps only a hash of it with the
// user agent (the fingerprint), so the cookie cannot be read back from a stolen database.
const (
	deviceCookie    = "lp_device"
	deviceCookieAge = 400 * 24 * time.Hour // the longest browsers honour
)

// clientOf is who sent r, as the auth service takes it: the client IP the middleware settled
// on (see Server.clientIP), the user agent and the request id.
func clientOf(r *http.Request) auth.Client {
	ri := requestInfoFrom(r.Context())
	return auth.Client{IP: ri.ClientIP, UserAgent: r.UserAgent(), RequestID: ri.ID}
}

// signInStep runs a sign-in step that records the client's device, for the API and the
// dashboard alike: the device id comes from the device cookie, or is made up when the cookie
// is missing or malformed, and a new one is set as the cookie once the step succeeds — so the
// second factor, and every later sign-in from this browser, sees the same device.
func (s *Server) signInStep(w http.ResponseWriter, r *http.Request, step func(context.Context, auth.Client) (*auth.SignIn, error)) (*auth.SignIn, error) {
	c := clientOf(r)
	id, fresh := deviceID(r)
	c.DeviceID = id
	res, err := step(r.Context(), c)
	if err == nil && fresh {
		http.SetCookie(w, &http.Cookie{
			Name:     deviceCookie,
			Value:    id,
			Path:     "/",
			MaxAge:   int(deviceCookieAge.Seconds()),
			HttpOnly: true,
			Secure:   s.cfg.isHTTPS(),
			SameSite: http.SameSiteLaxMode,
		})
	}
	return res, err
}

// deviceID is the request's device cookie, or a new random id (fresh) when it is missing or
// malformed.
func deviceID(r *http.Request) (id string, fresh bool) {
	if c, err := r.Cookie(deviceCookie); err == nil && validDeviceID(c.Value) {
		return c.Value, false
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("controlplane: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b), true
}

func validDeviceID(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}
