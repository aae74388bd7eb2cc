package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// User agents read as device names; the TOTP key is shown in groups of four; the code page's
// "Resend the code" sends a new code to the same address and comes back to the code page.
func TestDeviceNamesSecretTextAndResend(t *testing.T) {
	e := newEnv(t)
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                         "Chrome 131 on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari 17 on iOS (mobile)",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                                  "Firefox 133 on Linux",
		"": "Unknown browser",
	} {
		if got := e.h.deviceName(ua); got != want {
			t.Errorf("deviceName(%.40q) = %q, want %q", ua, got, want)
		}
	}
	if got := totpSecretText("otpauth://totp/Launchpad:a@example.com?secret=jbswy3dpehpk3pxpab&issuer=Launchpad"); got != "JBSW Y3DP EHPK 3PXP AB" {
		t.Errorf("totpSecretText = %q", got)
	}

	b := e.browser()
	tok := b.get("/signin").mustStatus(t, http.StatusOK).csrf(t)
	b.post("/signin", url.Values{"csrf_token": {tok}, "email": {"cy@example.com"}}).mustRedirect(t, "/signin/code")
	code := b.get("/signin/code").mustStatus(t, http.StatusOK)
	if !strings.Contains(code.body, `id="resend-code"`) || !strings.Contains(code.body, `value="cy@example.com"`) {
		t.Fatal("the code page has no resend button for the address")
	}
	before := e.auth.sentCount()
	b.post("/signin", url.Values{"csrf_token": {code.csrf(t)}, "email": {"cy@example.com"}}).mustRedirect(t, "/signin/code")
	if e.auth.sentCount() != before+1 {
		t.Fatal("resend sent no new code")
	}
}
