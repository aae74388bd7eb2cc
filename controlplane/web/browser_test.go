package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The browser tests drive the dashboard in headless Chromium (Debian's chromium package)
// through chromedp: the real control plane on loopback, mail from the in-process SMTP peer,
// the tenant on the Fly and OpenRouter simulators. Each page they reach is saved as a
// screenshot under artifacts/dashboard/ (git-ignored).

// chromiumPath finds the browser: $LAUNCHPAD_CHROMIUM, else the usual names on PATH.
func chromiumPath() string {
	if p := os.Getenv("LAUNCHPAD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium with a fresh profile. Without Chromium the test fails
// when CI=true and is skipped, saying why, otherwise.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "headless Chromium not found (install Debian's chromium: apt-get install -y chromium, or set LAUNCHPAD_CHROMIUM); the dashboard's browser tests cannot run"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	// Chromium now and then dies before it is ready on a busy machine ("chrome failed to
	// start", a crash report and no DevTools address); a fresh start gets past it. A browser
	// that cannot start three times fails the test.
	var err error
	for attempt := 1; attempt <= browserStarts; attempt++ {
		var ctx context.Context
		if ctx, err = startBrowser(t, path); err == nil {
			return ctx
		}
		t.Logf("starting Chromium (%s), attempt %d of %d: %v", path, attempt, browserStarts, err)
	}
	t.Fatalf("starting Chromium (%s): %v", path, err)
	return nil
}

// browserStarts is how many times newBrowser tries to start Chromium.
const browserStarts = 3

// startBrowser starts Chromium with a fresh profile; the browser lives until the test ends.
func startBrowser(t *testing.T, path string) (context.Context, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// This machine refuses outbound connections: keep Chromium from trying.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// The first run starts the browser; it lives as long as ctx, so it gets no timeout.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		return nil, err
	}
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	return ctx, nil
}

const stepTimeout = 30 * time.Second

// run runs steps with a timeout and fails the test with the page's URL and text.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(rctx, steps...); err != nil {
		browserFailed(t, ctx, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(rctx, a)
	if err != nil {
		browserFailed(t, ctx, err)
	}
	return v
}

func browserFailed(t *testing.T, ctx context.Context, err error) {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url, _ := chromedp.Run(dctx, chromedp.Location())
	text, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
	t.Fatalf("browser: %v\nat %s:\n%s", err, url, text)
}

// textOf returns the text of the element matching the CSS selector sel.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// attr returns an attribute of the element matching sel ("" when it has none).
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return get(t, ctx, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// js evaluates an expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[T](expr))
}

// screenshot saves the whole page as artifacts/dashboard/NAME.png.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png := get(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(artifactDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func keys(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), v)
}

// signInThroughPage signs in from the sign-in page with the n-th code mailed to email, up to
// the page after the code (the overview, or the second-factor page).
func signInThroughPage(t *testing.T, ctx context.Context, w *world, email string, n int) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(w.url+"/"),
		visible("#email"),
		keys("#email", email),
		click(`form[action="/signin"] button[type=submit]`),
		visible("#code"),
	)
	if n == 1 {
		screenshot(t, ctx, "signin-code")
	}
	code := w.signInCode(email, n)
	run(t, ctx,
		keys("#code", code),
		click(`form[action="/signin/code"] button[type=submit]`),
	)
}

// signedIn provisions a tenant for email and signs a new browser in as it with the first
// code mailed, leaving it on the overview.
func signedIn(t *testing.T, email string) (*world, *tenant, context.Context) {
	t.Helper()
	w := newWorld(t)
	tn := w.provision(email)
	ctx := newBrowser(t)
	signInThroughPage(t, ctx, w, tn.email, 1)
	run(t, ctx, visible("#usage-title"))
	return w, tn, ctx
}

// openDetails opens every audit row's details, which are behind a toggle.
func openDetails(t *testing.T, ctx context.Context) {
	t.Helper()
	js[bool](t, ctx, `document.querySelectorAll("#audit-rows details").forEach(d => d.open = true), true`)
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

func TestBrowserSignInOverviewAndLiveAudit(t *testing.T) {
	w := newWorld(t)
	tn := w.provision("ada@example.com")
	ctx := newBrowser(t)

	// Signed out, the dashboard sends the browser to sign in; the code comes by mail.
	run(t, ctx, chromedp.Navigate(w.url+"/"), visible("#email"))
	screenshot(t, ctx, "signin")
	signInThroughPage(t, ctx, w, tn.email, 1)
	run(t, ctx, visible("#usage-title"))

	// The overview: the tenant the sandbox provisioned, its plan and both caps.
	mustContain(t, "overview", textOf(t, ctx, "main"),
		tn.app, tn.ipv4, tn.ipv6, "Running", "iad", "hermes", "Pro",
		"3.5 of 10 hours used (35%)", "$0.00 of $5.00 spent (0%)", "The cycle ends on")
	if meters := js[int](t, ctx, `document.querySelectorAll("meter#hours-meter, meter#spend-meter").length`); meters != 2 {
		t.Errorf("%d of the 2 meters are on the overview", meters)
	}
	if js[int](t, ctx, `document.querySelectorAll('#state[data-kind="spend_capped"]').length`) != 0 {
		t.Error("the spend-cap notice shows before the key is spent")
	}
	screenshot(t, ctx, "dashboard-overview")

	// Keyboard: the first Tab reaches the skip link, which is visible when focused.
	run(t, ctx, chromedp.KeyEvent("\t"))
	focused := js[string](t, ctx, `document.activeElement.className + ":" + getComputedStyle(document.activeElement).outlineStyle`)
	if !strings.HasPrefix(focused, "skip:") || strings.HasSuffix(focused, ":none") {
		t.Errorf("first Tab focuses %q; want the skip link with a visible outline", focused)
	}

	// On a phone the page fits the screen: nothing scrolls sideways.
	run(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(), visible("#usage-title"))
	if js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
		t.Error("the overview scrolls sideways on a 390 px wide phone")
	}
	screenshot(t, ctx, "dashboard-overview-phone")
	run(t, ctx, chromedp.EmulateViewport(1280, 1000))

	// The audit panel follows the stream live: an operator command appears without a reload.
	run(t, ctx,
		chromedp.Navigate(w.url+"/audit"),
		visible(`#live-status[data-state="live"]`),
	)
	js[bool](t, ctx, `window.__notReloaded = true`)
	openDetails(t, ctx)
	mustContain(t, "audit page", textOf(t, ctx, "#audit-rows"), "Signed in", "auth.sign_in")
	if _, err := operator.Run(context.Background(), w.store, w.rt, operator.Request{UserID: tn.userID, Operator: "alice", Command: []string{"cat", "/workspace/notes.txt"}, Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("operator exec: %v", err)
	}
	run(t, ctx, visible(`#audit-rows tr.actor-operator`))
	if !js[bool](t, ctx, `window.__notReloaded === true`) {
		t.Error("the page reloaded: the event did not arrive live")
	}
	// Both phases (requested before the command ran, then its result) arrive, newest first.
	run(t, ctx, visible(`#audit-rows tr.actor-operator:nth-child(2)`))
	openDetails(t, ctx)
	first := textOf(t, ctx, `#audit-rows tr:first-child`)
	mustContain(t, "newest audit row", first, "Operator alice", "Operator command on your machine", "completed", "exit code")
	second := textOf(t, ctx, `#audit-rows tr:nth-child(2)`)
	mustContain(t, "operator request row", second, "requested", "cat /workspace/notes.txt", tn.machine)
	screenshot(t, ctx, "audit-live")

	run(t, ctx, chromedp.Navigate(w.url+"/billing"), visible("#plan-title"))
	portal := attr(t, ctx, `a[href^="https://billing.stripe.com/"]`, "href")
	mustContain(t, "portal link", portal, "prefilled_email=ada%40example.com")
	mustContain(t, "billing page", textOf(t, ctx, "main"), "Your plan: Pro", "Active: renews on", "$5.00")
	screenshot(t, ctx, "billing")
}

func TestBrowserEnrolTOTPAndSignInWithIt(t *testing.T) {
	w, tn, ctx := signedIn(t, "grace@example.com")

	// Enrol: the QR code and the otpauth link carry the secret, shown once with the codes.
	run(t, ctx,
		chromedp.Navigate(w.url+"/security"),
		visible("#enrol"),
		click("#enrol"),
		visible("#otpauth-link"),
	)
	otpauth := attr(t, ctx, "#otpauth-link", "href")
	qr := attr(t, ctx, "#totp-qr", "src")
	// naturalWidth is 0 when the CSP (img-src) refused the data: URL.
	qrWidth := js[int](t, ctx, `document.getElementById("totp-qr").naturalWidth`)
	if !strings.HasPrefix(qr, "data:image/png;base64,") || qrWidth == 0 {
		t.Errorf("QR code not shown (src %.40q…, natural width %d)", qr, qrWidth)
	}
	key, err := otp.NewKeyFromURL(otpauth)
	if err != nil {
		t.Fatalf("otpauth link %q: %v", otpauth, err)
	}
	codes := strings.Fields(textOf(t, ctx, "#recovery-codes"))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10: %v", len(codes), codes)
	}
	screenshot(t, ctx, "security-enrol")

	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		keys("#code", code),
		click(`form[action="/security/totp/confirm"] button`),
		visible("#mfa-status"),
	)
	mustContain(t, "security page", textOf(t, ctx, "main"), "Two-factor authentication is on", "On.", "10 of 10 recovery codes left", "this browser")
	body := textOf(t, ctx, "body")
	if strings.Contains(body, key.Secret()) || strings.Contains(body, codes[0]) {
		t.Error("the security page shows the secret or a recovery code after enrolment")
	}
	screenshot(t, ctx, "security")
	// Mail #2 says the factor is on and the other sessions were signed out.
	if m := w.smtp.WaitFor(t, tn.email, 2, 10*time.Second); m.Header.Get("Subject") != "Two-factor authentication is on for your Launchpad account" {
		t.Errorf("mail #2 after turning TOTP on: %q", m.Header.Get("Subject"))
	}

	// Sign out, then in again: after the emailed code, the authenticator code. (The code of
	// the next 30 s step: the confirmation spent the current one, and a step is used once.)
	run(t, ctx, click(`form.signout button`), visible("#email"))
	mustContain(t, "signed-out page", textOf(t, ctx, "main"), "You are signed out.")
	signInThroughPage(t, ctx, w, tn.email, 3)
	run(t, ctx, visible(`form[action="/signin/second-factor"] #code`))
	screenshot(t, ctx, "signin-second-factor")
	next, err := totp.GenerateCode(key.Secret(), time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		keys("#code", next),
		click(`#code ~ button[type=submit]`),
		visible("#usage-title"),
	)

	// And once more with a recovery code instead of the app.
	run(t, ctx, click(`form.signout button`), visible("#email"))
	signInThroughPage(t, ctx, w, tn.email, 4)
	run(t, ctx,
		visible(`form[action="/signin/second-factor"] #code`),
		click("details summary"),
		visible("#recovery_code"),
		keys("#recovery_code", codes[3]),
		click(`#recovery_code ~ button[type=submit]`),
		visible("#usage-title"),
	)
	run(t, ctx, chromedp.Navigate(w.url+"/security"), visible("#mfa-status"))
	mustContain(t, "security page", textOf(t, ctx, "#mfa-status"), "9 of 10 recovery codes left")
	run(t, ctx, chromedp.Navigate(w.url+"/audit"), visible("#audit-rows tr"))
	openDetails(t, ctx)
	mustContain(t, "audit page", textOf(t, ctx, "#audit-rows"), "Two-factor authentication turned on", "Recovery code used", "email_code+totp")
}

func TestBrowserSpendCapNotice(t *testing.T) {
	w, tn, ctx := signedIn(t, "linus@example.com")

	if status := w.spendUntilRefused(tn); status != http.StatusPaymentRequired && status != http.StatusForbidden {
		t.Fatalf("the gateway refused the spent key with %d, want 402 or 403", status)
	}
	run(t, ctx, chromedp.Reload(), visible(`#state[data-kind="spend_capped"]`))
	notice := textOf(t, ctx, "#state")
	// The monthly limit comes back at 00:00 UTC on the 1st of next month (on this wall clock).
	now := time.Now().UTC()
	reset := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format("2 Jan 2006, 15:04 UTC")
	mustContain(t, "spend-cap notice", notice, "Model spend limit reached", "$5.00 spend limit", "402 Payment Required", "403 Forbidden", "Move to a larger plan",
		"the limit comes back on "+reset)
	if role := attr(t, ctx, "#state", "role"); role != "alert" {
		t.Errorf("the notice's role is %q, want alert", role)
	}
	mustContain(t, "spend bar", textOf(t, ctx, "#spend-text"), "$5.00 of $5.00 spent (100%)")
	screenshot(t, ctx, "dashboard-overview-spend-cap")
}

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
