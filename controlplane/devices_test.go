package controlplane

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
