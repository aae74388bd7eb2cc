package controlplane

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestNewDeviceAlert(t *testing.T) {
	env := newTestEnv(t)
	laptop, _, userID := env.signedIn("Mozilla/5.0 (Macintosh) Safari/605.1", "ada@example.com")

	// The device cookie: HttpOnly, SameSite=Lax, the id never stored as such.
	u, _ := url.Parse(env.srv.URL())
	var cookie *http.Cookie
	for _, c := range laptop.hc.Jar.Cookies(u) {
		if c.Name == deviceCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no device cookie")
	}
	devices, err := env.store.ListDevices(context.Background(), userID)
	if err != nil || len(devices) != 1 {
		t.Fatalf("devices = %v, %v", devices, err)
	}
	if strings.Contains(devices[0].Fingerprint, cookie.Value) || devices[0].UserAgent != "Mozilla/5.0 (Macintosh) Safari/605.1" {
		t.Fatalf("stored device = %+v", devices[0])
	}

	// The first device of an account is not news; signing in again from it neither.
	laptop.signIn("ada@example.com")
	if n := env.smtp.Count("ada@example.com"); n != 2 {
		t.Fatalf("%d mails, want only the two codes", n)
	}

	// Another browser: alert mail and audit event.
	phone := env.newClient("Mozilla/5.0 (iPhone) Mobile Safari")
	phone.signIn("ada@example.com")
	alert := env.nextMail("ada@example.com")
	if alert.Header.Get("Subject") != "New sign-in to your Launchpad account" || !strings.Contains(alert.Body, "iPhone") || !strings.Contains(alert.Body, "127.0.0.1") {
		t.Fatalf("alert = %q\n%s", alert.Header.Get("Subject"), alert.Body)
	}
	if codeInMail.MatchString(alert.Body) {
		t.Fatal("alert mail carries something that looks like a code")
	}
	actions := env.auditActions(userID)
	if count(actions, launchpad.AuditNewDevice) != 1 {
		t.Fatalf("audit = %v", actions)
	}

	// The same cookie with another user agent is another device.
	laptop.ua = "curl/8.0"
	laptop.signIn("ada@example.com")
	if got := env.nextMail("ada@example.com"); got.Header.Get("Subject") != "New sign-in to your Launchpad account" {
		t.Fatalf("no alert for a changed user agent: %q", got.Header.Get("Subject"))
	}
}

// deviceStep signs in as email with the given request headers (a Cookie, X-Forwarded-Proto)
// from a client that keeps no cookies, and returns the cookies the answer set, by name.
func deviceStep(t *testing.T, env *testEnv, email string, header map[string]string) map[string]*http.Cookie {
	t.Helper()
	c := env.newClient("Mozilla/5.0 (X11) Firefox/140.0")
	c.hc = &http.Client{Timeout: 30 * time.Second} // no jar: the test says which cookies go
	mustStatus(t, c.post("/api/auth/send-verification", map[string]string{"email": email}), http.StatusAccepted)
	r := c.doWith(http.MethodPost, "/api/auth/verify", "", header, map[string]string{"email": email, "code": env.nextCode(email)})
	mustStatus(t, r, http.StatusOK)
	set := map[string]*http.Cookie{}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		set[ck.Name] = ck
	}
	return set
}

func TestDeviceCookieTakesTheHostPrefixOverHTTPS(t *testing.T) {
	env := newTestEnv(t, func(c *Config) {
		proxies, err := ParseTrustedProxies("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = proxies
	})
	const email = "ada@example.com"
	https := map[string]string{"X-Forwarded-Proto": "https"}

	// Over plain http: the unprefixed name, not Secure (a __Host- cookie would be refused).
	set := deviceStep(t, env, email, nil)
	old := set[deviceCookie]
	if old == nil || old.Secure || set[deviceCookieHost] != nil {
		t.Fatalf("over http the answer set %v; want only a non-Secure %s", set, deviceCookie)
	}

	// Over https (the trusted proxy says so), from a device that has only the old cookie: it
	// is the known device (no alert), its id moves to the __Host- name, the old cookie goes.
	set = deviceStep(t, env, email, map[string]string{"X-Forwarded-Proto": "https", "Cookie": deviceCookie + "=" + old.Value})
	host := set[deviceCookieHost]
	if host == nil || host.Value != old.Value || !host.Secure || !host.HttpOnly || host.Path != "/" || host.Domain != "" || host.MaxAge <= 0 {
		t.Fatalf("over https with the old cookie the answer set %+v; want %s with the same id, Secure, HttpOnly, Path=/, no Domain", host, deviceCookieHost)
	}
	if gone := set[deviceCookie]; gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("the old cookie was not deleted: %+v", gone)
	}

	// With the __Host- cookie: known, and nothing to set.
	set = deviceStep(t, env, email, map[string]string{"X-Forwarded-Proto": "https", "Cookie": deviceCookieHost + "=" + host.Value})
	if len(set) != 0 {
		t.Fatalf("a known __Host- device got cookies %v", set)
	}
	// The audit log is written before the tokens are handed out: no step so far was taken
	// for a new device.
	if n := count(env.auditActions(userOf(t, env, email)), launchpad.AuditNewDevice); n != 0 {
		t.Fatalf("%d new-device events: the known device was taken for a new one", n)
	}

	// Without a cookie over https: a new device, with the __Host- cookie from the start.
	set = deviceStep(t, env, email, https)
	if ck := set[deviceCookieHost]; ck == nil || !ck.Secure || set[deviceCookie] != nil {
		t.Fatalf("a new device over https got %v; want only %s", set, deviceCookieHost)
	}
	if n := count(env.auditActions(userOf(t, env, email)), launchpad.AuditNewDevice); n != 1 {
		t.Fatalf("%d new-device events, want 1 for the browser without a cookie", n)
	}
}

func userOf(t *testing.T, env *testEnv, email string) string {
	t.Helper()
	u, err := env.store.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// Only a trusted proxy's X-Forwarded-Proto counts: from any other peer it is ignored.
func TestDeviceCookieIgnoresForwardedProtoFromUntrustedPeers(t *testing.T) {
	env := newTestEnv(t)
	set := deviceStep(t, env, "ada@example.com", map[string]string{"X-Forwarded-Proto": "https"})
	if set[deviceCookie] == nil || set[deviceCookieHost] != nil {
		t.Fatalf("an untrusted peer's X-Forwarded-Proto changed the cookie: %v", set)
	}
}

// With an https public URL, the cookie is __Host- whatever the request says.
func TestDeviceCookieHostPrefixWithHTTPSPublicURL(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.PublicURL = "https://launchpad.example.com" })
	set := deviceStep(t, env, "ada@example.com", nil)
	if ck := set[deviceCookieHost]; ck == nil || !ck.Secure || !strings.HasPrefix(ck.Name, "__Host-") {
		t.Fatalf("with an https public URL the answer set %v; want %s", set, deviceCookieHost)
	}
}
