package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// axeScript is axe-core's axe.min.js, which `make tools` fetches (pinned) into the tools
// cache and the GNUmakefile names in LAUNCHPAD_AXE_JS. Without it the test fails when
// CI=true and is skipped, saying why, otherwise.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("LAUNCHPAD_AXE_JS")
	msg := "axe-core not found: run `make tools` and set LAUNCHPAD_AXE_JS to the axe.min.js it fetched (make test does); the dashboard's accessibility checks cannot run"
	if path != "" {
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte("axe")) {
			return string(b)
		}
		msg = fmt.Sprintf("LAUNCHPAD_AXE_JS=%s cannot be read (%v); run `make tools`", path, err)
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// axeViolation is what axe reports of one broken rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAxe runs axe-core on the page shown, at 1280 and at 390 px wide, and fails the test
// with every violation found. The page is not reloaded (some are answers to a form).
func checkAxe(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	for _, width := range []int64{1280, 390} {
		if width == 390 {
			run(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		} else {
			run(t, ctx, chromedp.EmulateViewport(1280, 1000))
		}
		run(t, ctx, visible("main"))
		if !js[bool](t, ctx, `typeof window.axe === "object"`) {
			js[bool](t, ctx, axe+"\n;true")
		}
		out := get(t, ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
			chromedp.EvalAwaitPromise))
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			t.Fatalf("axe on %s at %d px: %v", name, width, err)
		}
		for _, v := range vs {
			var targets []string
			for _, n := range v.Nodes {
				targets = append(targets, fmt.Sprint(n.Target...))
			}
			t.Errorf("axe on %s at %d px: %s (%s): %s — %s", name, width, v.ID, v.Impact, v.Help, strings.Join(targets, ", "))
		}
		t.Logf("axe on %s at %d px: %d violations", name, width, len(vs))
		if width == 390 && js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
			t.Errorf("%s scrolls sideways at 390 px", name)
		}
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 1000))
}

// focusRingContrast is the contrast of the focused element's outline against the background
// behind it, as the browser computed both (0 when it has no outline).
const focusRingContrast = `(() => {
  const el = document.activeElement;
  const rgb = (s) => s.match(/[\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(c => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); })
    .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ring = rgb(getComputedStyle(el).outlineColor);
  let bg = null;
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
  }
  bg = bg || [255, 255, 255];
  const a = lum(ring), b = lum(bg);
  if (getComputedStyle(el).outlineStyle === "none") return 0;
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})()`

// The 'done when' of the agent and security work, in a real browser: a customer opens their
// agent, restarts it and sees its logs; signs out a single other session; turns two-factor
// on and off again; and axe finds no violation on any page at 1280 or 390 px, the focus ring
// at least 3:1 against what is behind it.
func TestBrowserAgentSecurityAndAccessibility(t *testing.T) {
	axe := axeScript(t)
	w, tn, ctx := signedIn(t, "mary@example.com")
	if err := w.fly.Sim.AppendLog(tn.app, tn.machine, "info", "hermes gateway ready on :8080"); err != nil {
		t.Fatal(err)
	}

	// The agent: its address, size and region, its logs; restart it.
	run(t, ctx, chromedp.Navigate(w.url+"/agent"), visible("#open-agent"))
	if href := attr(t, ctx, "#open-agent", "href"); href != "https://"+tn.app+".fly.dev" {
		t.Errorf("Open agent links to %q", href)
	}
	mustContain(t, "agent page", textOf(t, ctx, "main"), "iad", "1 shared CPU", "a key Launchpad made for your agent", "hermes gateway ready on :8080")
	screenshot(t, ctx, "agent")
	run(t, ctx, click("#agent-restart"), visible(".flash"))
	mustContain(t, "after the restart", textOf(t, ctx, ".flash"), "Your agent is restarting")
	if err := w.rt.WaitMachine(t.Context(), tn.app, tn.machine, launchpad.MachineStarted, 10*time.Second); err != nil {
		t.Fatalf("the restarted machine does not come back: %v", err)
	}
	run(t, ctx, chromedp.Navigate(w.url+"/agent"), visible("#agent-logs"))
	mustContain(t, "agent logs after the restart", textOf(t, ctx, "#agent-logs"), "hermes gateway ready on :8080", ": stop (", ": exit (")
	screenshot(t, ctx, "agent-restarted")
	checkAxe(t, ctx, axe, "agent")

	// Another session, from a phone's Firefox over the API: named readably, signed out alone.
	other := apiSignIn(t, w, tn.email, "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0")
	run(t, ctx, chromedp.Navigate(w.url+"/security"), visible("#sessions-title"))
	mustContain(t, "sessions", textOf(t, ctx, "table"), "Firefox 133 on Android (mobile)", "this browser")
	screenshot(t, ctx, "security-sessions")
	checkAxe(t, ctx, axe, "security")
	run(t, ctx, click(`form[action$="/revoke"] button`), visible(".flash"))
	if n := js[int](t, ctx, `document.querySelectorAll('form[action$="/revoke"]').length`); n != 0 {
		t.Errorf("%d other sessions left after signing out the only one", n)
	}
	if status := apiRefresh(t, w, other); status != http.StatusUnauthorized {
		t.Errorf("the signed-out session still refreshes: %d", status)
	}
	// Sign out everywhere asks first: the button opens a confirmation, nothing is sent.
	run(t, ctx, click("#sign-out-everywhere"), visible("#sign-out-everywhere-yes"))

	// Two-factor on, with the key as text for manual entry, then off again.
	run(t, ctx, click("#enrol"), visible("#totp-secret"))
	key, err := otp.NewKeyFromURL(attr(t, ctx, "#otpauth-link", "href"))
	if err != nil {
		t.Fatal(err)
	}
	if shown := strings.ReplaceAll(textOf(t, ctx, "#totp-secret"), " ", ""); shown != key.Secret() {
		t.Errorf("the key for manual entry is %q, the QR code's %q", shown, key.Secret())
	}
	if dl := attr(t, ctx, "#recovery-download", "href"); !strings.HasPrefix(dl, "data:text/plain") {
		t.Errorf("recovery codes download link %.30q", dl)
	}
	if js[bool](t, ctx, `document.getElementById("recovery-copy").hidden`) {
		t.Error("the copy button stays hidden with JavaScript on")
	}
	checkAxe(t, ctx, axe, "enrol")
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, keys("#code", code), click(`form[action="/security/totp/confirm"] button`), visible("#mfa-off"))
	run(t, ctx, click("#mfa-off"), visible("#enrol"))
	mustContain(t, "security page", textOf(t, ctx, "#mfa-status"), "Off.")

	// The cycle per day and the 80% warning on the overview: charts that fit a phone, and
	// axe passes them below at both widths.
	now := time.Now().UTC()
	if _, err := w.store.UpdateUser(t.Context(), tn.userID, func(u *launchpad.User) error {
		u.Usage.MachineSeconds = 8.5 * 3600
		// The cycle began a day ago (signedIn): a day before it is not shown.
		u.Usage.AddToDay(now.Add(-48*time.Hour), 3600, 0)
		u.Usage.AddToDay(now.Add(-24*time.Hour), 5*3600, 0.5)
		u.Usage.AddToDay(now, 3.5*3600, 1.25)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(w.url+"/"), visible("#hours-chart svg"), visible("#spend-chart svg"), visible("#warning-hours_warning"))
	mustContain(t, "80% warning", textOf(t, ctx, "#warning-hours_warning"), "85% of this cycle's machine hours used", "8.5 of the 10 hours", "Move to a plan with more hours")
	if js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth || document.querySelector("#hours-chart svg").getBoundingClientRect().right > window.innerWidth`) {
		t.Error("the per-day charts do not fit a 390 px wide phone")
	}
	if rows := js[int](t, ctx, `document.querySelectorAll("#usage-days tbody tr").length`); rows != 2 {
		t.Errorf("%d days in the figures' table, want the cycle's 2", rows)
	}
	screenshot(t, ctx, "overview-usage-per-day-390")

	// Every other page, and the focus ring.
	for _, p := range []struct{ path, ready, name string }{
		{"/", "#usage-title", "overview"}, {"/audit", "#audit-table", "audit"}, {"/billing", "#plan-title", "billing"},
		{"/data", "#export-title", "data"}, {"/no-such-page", "main", "not-found"},
	} {
		run(t, ctx, chromedp.Navigate(w.url+p.path), visible(p.ready))
		checkAxe(t, ctx, axe, p.name)
		// The keyboard's first two stops: the skip link, then the brand in the header.
		for stop := 1; stop <= 2; stop++ {
			run(t, ctx, chromedp.KeyEvent("\t"))
			if r := js[float64](t, ctx, focusRingContrast); r < 3 {
				t.Errorf("focus ring on %s, tab stop %d: %.2f:1, want at least 3:1", p.name, stop, r)
			}
		}
	}
	mustContain(t, "404 page", textOf(t, ctx, "body"), "There is no page at this address", "Audit log")
	screenshot(t, ctx, "not-found")

	// Signed out: the sign-in and code pages.
	run(t, ctx, click(`form.signout button`), visible("#email"))
	checkAxe(t, ctx, axe, "signin")
	run(t, ctx, keys("#email", tn.email), click(`form[action="/signin"] button[type=submit]`), visible("#resend-code"))
	checkAxe(t, ctx, axe, "code")
}

// apiSignIn signs email in over the JSON API with the given user agent and returns the
// refresh token: another session of the same user.
func apiSignIn(t *testing.T, w *world, email, userAgent string) string {
	t.Helper()
	before := len(w.smtp.Messages())
	apiPost(t, w, "/api/auth/send-verification", userAgent, map[string]string{"email": email}, http.StatusAccepted, nil)
	var code string
	for n := before + 1; code == "" && n <= before+3; n++ {
		m := w.smtp.WaitFor(t, email, n, 10*time.Second)
		if c := codePattern.FindStringSubmatch(m.Body); c != nil && strings.Contains(m.Header.Get("Subject"), "code") {
			code = c[1]
		}
	}
	if code == "" {
		t.Fatal("no sign-in code mailed for the API sign-in")
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	apiPost(t, w, "/api/auth/verify", userAgent, map[string]string{"email": email, "code": code}, http.StatusOK, &tok)
	if tok.RefreshToken == "" {
		t.Fatal("the API sign-in gave no refresh token")
	}
	return tok.RefreshToken
}

// apiRefresh exchanges a refresh token and returns the status.
func apiRefresh(t *testing.T, w *world, refresh string) int {
	t.Helper()
	return apiPost(t, w, "/api/auth/refresh", "", map[string]string{"refresh_token": refresh}, 0, nil)
}

func apiPost(t *testing.T, w *world, path, userAgent string, body any, want int, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, w.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if want != 0 && res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d", path, res.StatusCode, want)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}
