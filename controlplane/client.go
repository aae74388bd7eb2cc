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
//
// Over https it is deviceCookieHost: browsers take a __Host- cookie only with Secure, Path=/
// and no Domain, so neither a sibling subdomain nor a plain-http response can plant a device
// id (one the planter knows, to sign in later from "a known device" without an alert).
const (
	deviceCookie     = "lp_device"
	deviceCookieHost = "__Host-" + deviceCookie
	deviceCookieAge  = 400 * 24 * time.Hour // the longest browsers honour
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
	id, from := deviceID(r)
	c.DeviceID = id
	res, err := step(r.Context(), c)
	if err != nil {
		return res, err
	}
	name := deviceCookie
	if s.overHTTPS(r) {
		name = deviceCookieHost
	}
	if from != name {
		s.setDeviceCookie(w, name, id, deviceCookieAge)
	}
	// A device from before the __Host- name keeps its id under the new name, so it is not a
	// "new device"; the old cookie goes.
	if from == deviceCookie && name == deviceCookieHost {
		s.setDeviceCookie(w, deviceCookie, "", -1)
	}
	return res, nil
}

// setDeviceCookie sets (or, with a negative age, deletes) the device cookie called name.
func (s *Server) setDeviceCookie(w http.ResponseWriter, name, id string, age time.Duration) {
	maxAge := -1
	if age > 0 {
		maxAge = int(age.Seconds())
	}
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    id,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   name == deviceCookieHost || s.cfg.isHTTPS(),
		SameSite: http.SameSiteLaxMode,
	})
}

// deviceID is the request's device id and the cookie it came from: the __Host- cookie first,
// then — during the transition from the unprefixed name, so the devices that signed in before
// it are not all "new" — the old one. When neither holds a valid id, a new random id, from "".
//
// The old name can still be planted by a sibling subdomain, so it is read only without a
// __Host- cookie, and replaced by one at the device's next sign-in over https. Reading it can
// stop once deviceCookieAge has passed since the __Host- name shipped.
func deviceID(r *http.Request) (id, from string) {
	for _, name := range []string{deviceCookieHost, deviceCookie} {
		if c, err := r.Cookie(name); err == nil && validDeviceID(c.Value) {
			return c.Value, name
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("controlplane: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b), ""
}

func validDeviceID(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}
