package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

const testSecret = "dashboard-test-secret-0123456789-abcdefghijklmnop"

// env is the dashboard alone, mounted on a mux like the server mounts it, over real HTTP on
// loopback, with a SQLite store and the fake Auth.
type env struct {
	t     *testing.T
	store *sqlite.DB
	auth  *fakeAuth
	h     *Handler
	srv   *httptest.Server
}

func newEnv(t *testing.T, configure ...func(*Config)) *env {
	t.Helper()
	return newEnvDeps(t, nil, configure...)
}

// newEnvDeps is newEnv with deps changed by with (an Agent, say) before the dashboard is built.
func newEnvDeps(t *testing.T, with func(*Deps), configure ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	kr, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg := Config{PublicURL: "http://" + srv.Listener.Addr().String(), AuditPoll: 20 * time.Millisecond}
	for _, f := range configure {
		f(&cfg)
	}
	auth := newFakeAuth(st, time.Now)
	closing := make(chan struct{})
	deps := Deps{Store: st, Keyring: kr, Auth: auth, Closing: closing}
	if with != nil {
		with(&deps)
	}
	h, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(func() {
		close(closing)
		srv.Close()
	})
	return &env{t: t, store: st, auth: auth, h: h, srv: srv}
}

// browser is one client with its own cookies; it does not follow redirects, so tests see them.
type browser struct {
	e  *env
	hc *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
	res    *http.Response
}

func (b *browser) do(req *http.Request) *page {
	b.e.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &page{status: res.StatusCode, header: res.Header, body: string(body), res: res}
}

func (b *browser) get(path string) *page {
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; extra headers (Origin, Sec-Fetch-Site) may be given as pairs.
func (b *browser) post(path string, form url.Values, headers ...string) *page {
	req := NewFormRequest(http.MethodPost, b.e.srv.URL+path, form)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the form token on a page.
func (p *page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

func (p *page) mustStatus(t *testing.T, want int) *page {
	t.Helper()
	if p.status != want {
		t.Fatalf("status %d, want %d:\n%s", p.status, want, p.body)
	}
	return p
}

func (p *page) mustRedirect(t *testing.T, to string) *page {
	t.Helper()
	p.mustStatus(t, http.StatusSeeOther)
	if got := p.header.Get("Location"); got != to {
		t.Fatalf("redirect to %q, want %q", got, to)
	}
	return p
}

// signIn goes through the sign-in forms and returns the overview.
func (b *browser) signIn(email string) *page {
	t := b.e.t
	t.Helper()
	tok := b.get("/signin").mustStatus(t, 200).csrf(t)
	b.post("/signin", url.Values{"csrf_token": {tok}, "email": {email}}).mustRedirect(t, "/signin/code")
	tok = b.get("/signin/code").mustStatus(t, 200).csrf(t)
	b.post("/signin/code", url.Values{"csrf_token": {tok}, "code": {"314159"}}).mustRedirect(t, "/")
	return b.get("/").mustStatus(t, 200)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	signedIn := e.browser()
	signedIn.signIn("ada@example.com")
	anon := e.browser()
	for _, tc := range []struct {
		name string
		p    *page
	}{
		{"sign-in page", anon.get("/signin")},
		{"redirect", anon.get("/security")},
		{"stylesheet", anon.get("/static/style.css")},
		{"overview", signedIn.get("/")},
		{"audit", signedIn.get("/audit")},
		{"forged form", anon.post("/signin", url.Values{"email": {"x@example.com"}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csp := tc.p.header.Get("Content-Security-Policy")
			for _, directive := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, directive) {
					t.Errorf("CSP %q lacks %q", csp, directive)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := tc.p.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tc.p.header.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS sent for an http public URL")
			}
		})
	}
	// Pages hold personal data: not stored by the browser. Assets may be cached.
	if got := signedIn.get("/").header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("overview Cache-Control %q", got)
	}
	if got := anon.get("/static/style.css").header.Get("Cache-Control"); !strings.Contains(got, "max-age") {
		t.Errorf("stylesheet Cache-Control %q", got)
	}
}

// The pages have no inline script or style for the CSP to refuse: every script is a file
// of this origin, and no element has a style attribute.
func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("ada@example.com")
	tok := b.get("/security").csrf(t)
	pages := map[string]string{
		"signin": e.browser().get("/signin").body, "overview": b.get("/").body, "audit": b.get("/audit").body,
		"security": b.get("/security").body, "billing": b.get("/billing").body,
		"enrol": b.post("/security/totp", url.Values{"csrf_token": {tok}}).mustStatus(t, 200).body,
	}
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	for name, body := range pages {
		for _, tag := range inlineScript.FindAllString(body, -1) {
			if !strings.Contains(tag, ` src="/static/`) {
				t.Errorf("%s: inline script %s", name, tag)
			}
		}
		for _, bad := range []string{"<style", " style=", " onclick=", " onload=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		if !strings.Contains(body, `<meta name="viewport"`) || !strings.Contains(body, `<main id="main"`) {
			t.Errorf("%s lacks the viewport meta or the main landmark", name)
		}
	}
}

func TestSignedOutVisitorsAreSentToSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/").mustRedirect(t, "/signin")
	b.get("/audit").mustRedirect(t, "/signin?next=%2Faudit")
	b.get("/security").mustRedirect(t, "/signin?next=%2Fsecurity")
	b.get("/billing").mustRedirect(t, "/signin?next=%2Fbilling")
	if p := b.get("/audit/events"); p.status != http.StatusUnauthorized {
		t.Fatalf("event stream without a session: %d", p.status)
	}
	b.post("/signout", url.Values{}).mustRedirect(t, "/signin")
	b.post("/security/sign-out-everywhere", url.Values{}).mustRedirect(t, "/signin")
	// The code and second-factor pages need their step's cookie.
	b.get("/signin/code").mustRedirect(t, "/signin")
	b.get("/signin/second-factor").mustRedirect(t, "/signin")
	// A made-up session cookie is no session, and is cleared.
	u, _ := url.Parse(e.srv.URL)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "lp_session", Value: "lprt_forged", Path: "/"}})
	p := b.get("/").mustRedirect(t, "/signin")
	if c := findCookie(p.res.Cookies(), "lp_session"); c == nil || c.MaxAge >= 0 {
		t.Fatalf("forged session cookie not cleared: %v", p.res.Cookies())
	}
	// After sign-in, ?next= brings the user back, and only to a dashboard page.
	tok := b.get("/signin?next=/security").csrf(t)
	b.post("/signin", url.Values{"csrf_token": {tok}, "email": {"bob@example.com"}, "next": {"/security"}}).mustRedirect(t, "/signin/code?next=%2Fsecurity")
	tok = b.get("/signin/code?next=/security").csrf(t)
	b.post("/signin/code", url.Values{"csrf_token": {tok}, "code": {"314159"}, "next": {"https://evil.example/"}}).mustRedirect(t, "/")
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestCookieFlags(t *testing.T) {
	t.Run("http", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		first := b.get("/signin")
		pre := findCookie(first.res.Cookies(), "lp_presession")
		if pre == nil {
			t.Fatalf("no pre-session cookie: %v", first.res.Cookies())
		}
		tok := first.csrf(t)
		b.post("/signin", url.Values{"csrf_token": {tok}, "email": {"ada@example.com"}})
		tok = b.get("/signin/code").csrf(t)
		p := b.post("/signin/code", url.Values{"csrf_token": {tok}, "code": {"314159"}}).mustRedirect(t, "/")
		sess := findCookie(p.res.Cookies(), "lp_session")
		if sess == nil {
			t.Fatalf("no session cookie: %v", p.res.Cookies())
		}
		for _, c := range []*http.Cookie{pre, sess} {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Domain != "" {
				t.Errorf("cookie %s: HttpOnly=%v SameSite=%v Path=%q Secure=%v Domain=%q", c.Name, c.HttpOnly, c.SameSite, c.Path, c.Secure, c.Domain)
			}
		}
		if sess.MaxAge < int((29 * 24 * time.Hour).Seconds()) {
			t.Errorf("session cookie lives %ds, not as long as the session", sess.MaxAge)
		}
		// The email cookie is gone once signed in.
		if c := findCookie(p.res.Cookies(), "lp_signin_email"); c == nil || c.MaxAge >= 0 {
			t.Errorf("email cookie not cleared at sign-in: %v", c)
		}
	})
	t.Run("https", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.PublicURL = "https://launchpad.example.com" })
		// Secure cookies do not travel over the test's plain HTTP in a cookie jar: carry them by hand.
		jar := map[string]string{}
		send := func(method, path string, form url.Values) *page {
			req := NewFormRequest(method, e.srv.URL+path, form)
			for k, v := range jar {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			p := (&browser{e: e, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}).do(req)
			for _, c := range p.res.Cookies() {
				if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || !strings.HasPrefix(c.Name, "__Host-") {
					t.Errorf("cookie %s over https: Secure=%v HttpOnly=%v SameSite=%v Path=%q", c.Name, c.Secure, c.HttpOnly, c.SameSite, c.Path)
				}
				if c.MaxAge < 0 {
					delete(jar, c.Name)
				} else {
					jar[c.Name] = c.Value
				}
			}
			return p
		}
		first := send("GET", "/signin", nil)
		if first.header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS for an https public URL")
		}
		send("POST", "/signin", url.Values{"csrf_token": {first.csrf(t)}, "email": {"ada@example.com"}}).mustRedirect(t, "/signin/code")
		tok := send("GET", "/signin/code", nil).csrf(t)
		send("POST", "/signin/code", url.Values{"csrf_token": {tok}, "code": {"314159"}}).mustRedirect(t, "/")
		if jar["__Host-lp_session"] == "" {
			t.Fatalf("no __Host-lp_session cookie: %v", jar)
		}
		send("GET", "/", nil).mustStatus(t, 200)
	})
}

func TestFormsWithoutAValidTokenAreRefused(t *testing.T) {
	e := newEnv(t)
	attacker := e.browser()
	attackerTok := attacker.get("/signin").csrf(t)

	victim := e.browser()
	victim.get("/signin")
	// Signed out: no token, a token of another browser, garbage.
	for name, tok := range map[string]string{"none": "", "another browser's": attackerTok, "garbage": "AAAA"} {
		victim.post("/signin", url.Values{"csrf_token": {tok}, "email": {"victim@example.com"}}).mustStatus(t, http.StatusForbidden)
		if n := e.auth.sentCount(); n != 0 {
			t.Fatalf("%s token: a code was sent (%d)", name, n)
		}
	}

	victim.signIn("victim@example.com")
	attacker.signIn("attacker@example.com")
	victimTok := victim.get("/security").csrf(t)
	otherSessionTok := attacker.get("/security").csrf(t)
	before := e.auth.activeSessions()
	for name, tc := range map[string]struct {
		tok     string
		headers []string
	}{
		"no token":                 {"", nil},
		"another session's token":  {otherSessionTok, nil},
		"pre-session token":        {attackerTok, nil},
		"cross-site fetch":         {victimTok, []string{"Sec-Fetch-Site", "cross-site"}},
		"same-site (sibling host)": {victimTok, []string{"Sec-Fetch-Site", "same-site"}},
		"foreign origin":           {victimTok, []string{"Origin", "https://evil.example"}},
	} {
		p := victim.post("/security/sign-out-everywhere", url.Values{"csrf_token": {tc.tok}}, tc.headers...)
		if p.status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, p.status)
		}
		if n := e.auth.activeSessions(); n != before {
			t.Fatalf("%s: the forged form signed sessions out (%d → %d)", name, before, n)
		}
	}
	// The same form from the dashboard itself works.
	victim.post("/security/sign-out-everywhere", url.Values{"csrf_token": {victimTok}, "confirm": {"yes"}}, "Sec-Fetch-Site", "same-origin",
		"Origin", e.srv.URL).mustRedirect(t, "/signin?done=signed_out_everywhere")
	if n := e.auth.activeSessions(); n != before-1 {
		t.Fatalf("sign out everywhere: %d active sessions, want %d", n, before-1)
	}
	victim.get("/").mustRedirect(t, "/signin")
}

func TestAuditStreamSendsNewEventsAndEndsAtSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("ada@example.com")
	u, err := e.store.GetUserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	appendEvent := func(actor string, details map[string]string) {
		if _, err := e.store.AppendAudit(context.Background(), &launchpad.AuditEvent{Stream: u.ID, Actor: actor, Action: launchpad.AuditOperatorExec, Target: "lp-hermes-x", Details: details}); err != nil {
			t.Fatal(err)
		}
	}
	appendEvent("user:"+u.ID, nil)
	page := b.get("/audit").mustStatus(t, 200)
	if !strings.Contains(page.body, `data-live="/audit/events?after=1"`) {
		t.Fatalf("audit page does not follow from seq 1:\n%s", page.body)
	}

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/audit/events?after=1", nil)
	res, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	appendEvent("operator:alice", map[string]string{"command": `["cat","/etc/os-release"]`, "note": "<script>alert(1)</script>"})

	got := make(chan string, 1)
	go func() {
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			sb.Write(buf[:n])
			if strings.Contains(sb.String(), "event: signed-out") || err != nil {
				got <- sb.String()
				return
			}
			if strings.Contains(sb.String(), "id: 2\n") && !strings.Contains(sb.String(), "signed-out") {
				// Now end the session: the stream must say so and close.
				e.auth.revokeUser(u.ID)
			}
		}
	}()
	var stream string
	select {
	case stream = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream neither sent the event nor ended at sign-out")
	}
	for _, want := range []string{"retry: 3000", "id: 2\nevent: audit\ndata: ", "Operator alice", "cat /etc/os-release", "&lt;script&gt;alert(1)&lt;/script&gt;", "event: signed-out"} {
		if !strings.Contains(stream, want) {
			t.Errorf("stream lacks %q:\n%s", want, stream)
		}
	}
	if strings.Contains(stream, "<script>alert") {
		t.Error("the stream carries unescaped markup from an event")
	}
}

func TestEnrolmentConfirmErrorKeepsThePageUsable(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("ada@example.com")
	tok := b.get("/security").csrf(t)
	enrol := b.post("/security/totp", url.Values{"csrf_token": {tok}}).mustStatus(t, 200)
	for _, want := range []string{`src="data:image/png;base64,`, `href="otpauth://totp/Launchpad:x?secret=JBSWY3DPEHPK3PXP&amp;issuer=Launchpad"`, "aaaa-bbbb-cccc-dddd"} {
		if !strings.Contains(enrol.body, want) {
			t.Errorf("enrolment page lacks %q", want)
		}
	}
	p := b.post("/security/totp/confirm", url.Values{"csrf_token": {tok}, "code": {"000000"}}).mustStatus(t, http.StatusUnauthorized)
	if !strings.Contains(p.body, "The authenticator code is wrong") || !strings.Contains(p.body, `role="alert"`) {
		t.Fatalf("confirm error not shown:\n%s", p.body)
	}
	// The security page never shows the secret or the codes again.
	sec := b.get("/security").body
	if strings.Contains(sec, "JBSWY3DPEHPK3PXP") || strings.Contains(sec, "aaaa-bbbb") {
		t.Fatal("the security page shows the enrolment again")
	}
}

func TestConfigProblemsAreListed(t *testing.T) {
	_, err := New(Config{PublicURL: "ftp://x", CheckoutURL: "javascript:alert(1)"}, Deps{})
	msg := launchpad.ErrorMessage(err)
	for _, want := range []string{"Deps.Store", "Deps.Keyring", "Deps.Auth", "LAUNCHPAD_PUBLIC_URL", EnvCheckoutURL} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	c, err := LoadEnv(func(k string) string {
		return map[string]string{EnvBillingPortalURL: "https://billing.stripe.com/p/login/test", EnvCheckoutURL: " https://buy.stripe.com/test "}[k]
	})
	if err != nil || c.CheckoutURL != "https://buy.stripe.com/test" || c.BillingPortalURL == "" {
		t.Fatalf("LoadEnv: %+v, %v", c, err)
	}
	if _, err := LoadEnv(func(k string) string { return map[string]string{EnvBillingPortalURL: "billing.stripe.com"}[k] }); err == nil || !strings.Contains(err.Error(), EnvBillingPortalURL) {
		t.Fatalf("a relative portal URL: %v", err)
	}
}

func TestBillingLinksCarryTheUser(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.BillingPortalURL = "https://billing.stripe.com/p/login/test_123"
		c.CheckoutURL = "https://buy.stripe.com/test_abc"
	})
	b := e.browser()
	b.signIn("ada+x@example.com")
	u, _ := e.store.GetUserByEmail(context.Background(), "ada+x@example.com")
	body := b.get("/billing").mustStatus(t, 200).body
	for _, want := range []string{
		`href="https://buy.stripe.com/test_abc?client_reference_id=` + u.ID + `&amp;prefilled_email=ada%2Bx%40example.com"`,
		`href="https://billing.stripe.com/p/login/test_123?prefilled_email=ada%2Bx%40example.com"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("billing page lacks %s", want)
		}
	}
}
