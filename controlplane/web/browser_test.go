package web_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
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
