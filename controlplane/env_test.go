package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp/smtptest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// testSecret is the platform secret of test servers; tests check it never reaches the logs.
const testSecret = "test-platform-secret-0123456789-abcdefghijklmnop"

// newTestClock is the injected clock, 5 s into a 30 s TOTP step so that a test's TOTP code
// stays in its step until the test advances it: tests move it to expire codes and tokens
// without sleeping.
func newTestClock() *sim.ManualClock {
	return sim.NewManualClock(time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC))
}

// openTestStore opens the SQLite store at path on clock, closed when the test ends, and the
// keyring of testSecret.
func openTestStore(t testing.TB, path string, clock *sim.ManualClock) (*sqlite.DB, *envelope.Keyring) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keyring, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	return db, keyring
}

// testEnv is a real server on 127.0.0.1:0 with a SQLite store in a temp dir, a real SMTP
// peer, a fake clock and captured logs.
type testEnv struct {
	t      *testing.T
	clock  *sim.ManualClock
	dbPath string
	store  *sqlite.DB
	smtp   *smtptest.Server
	srv    *Server
	logs   *stacktest.Output
	cfg    Config

	mu       sync.Mutex
	mailSeen map[string]int // messages already consumed per recipient
}

// noLimits turns rate limits off for tests that are not about them.
func noLimits() Limits {
	off := RateLimit{Off: true}
	return Limits{CodesPerEmail: off, CodesPerIP: off, VerifyPerIP: off, MFAPerUser: off}
}

func newTestEnv(t *testing.T, configure ...func(*Config)) *testEnv {
	t.Helper()
	return newTestEnvDeps(t, nil, configure...)
}

// newTestEnvDeps is newTestEnv with deps applied to the server's dependencies (a Runtime,
// Keys, a wrapped Store) before New.
func newTestEnvDeps(t *testing.T, deps func(*Deps), configure ...func(*Config)) *testEnv {
	t.Helper()
	clock := newTestClock()
	dbPath := filepath.Join(t.TempDir(), "launchpad.db")
	db, keyring := openTestStore(t, dbPath, clock)
	peer := smtptest.Start(t, smtptest.Options{})
	mailer, err := smtp.New(smtp.Config{URL: peer.URL(), From: "Launchpad <launchpad@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Addr: "127.0.0.1:0", AdminToken: strings.Repeat("a", 40), Limits: noLimits()}
	for _, f := range configure {
		f(&cfg)
	}
	logs := &stacktest.Output{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := Deps{Store: db, Keyring: keyring, Mailer: mailer, Logger: logger, Now: clock.Now}
	if deps != nil {
		deps(&d)
	}
	srv, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEnv{t: t, clock: clock, dbPath: dbPath, store: db, smtp: peer, srv: srv, logs: logs, cfg: srv.cfg, mailSeen: map[string]int{}}
}

// client is one HTTP client (one browser: its own cookie jar and user agent).
type client struct {
	env *testEnv
	hc  *http.Client
	ua  string
}

func (e *testEnv) newClient(ua string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{env: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}, ua: ua}
}

// do sends a request as the browser would (its cookies, its user agent) and reads the whole
// answer; a body is sent as JSON (a string as it is).
func (c *client) do(method, path, token string, body any) *response {
	c.env.t.Helper()
	return c.doWith(method, path, token, nil, body)
}

// doWith is do with headers added to the request.
func (c *client) doWith(method, path, token string, header map[string]string, body any) *response {
	c.env.t.Helper()
	h := map[string]string{"User-Agent": c.ua}
	var b []byte
	if body != nil {
		h["Content-Type"] = "application/json"
		b = jsonBody(c.env.t, body)
	}
	maps.Copy(h, header)
	r, err := exchange(c.hc, c.env.srv.URL(), method, path, token, h, b)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) post(path string, body any) *response { return c.do(http.MethodPost, path, "", body) }

func (c *client) get(path, token string) *response { return c.do(http.MethodGet, path, token, nil) }

var codeInMail = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// nextMail waits for the next message to rcpt that this test has not consumed yet.
func (e *testEnv) nextMail(rcpt string) *smtptest.Message {
	e.t.Helper()
	e.mu.Lock()
	e.mailSeen[rcpt]++
	n := e.mailSeen[rcpt]
	e.mu.Unlock()
	return e.smtp.WaitFor(e.t, rcpt, n, 10*time.Second)
}

// requestCode asks for a code for email and reads it from the mail the SMTP peer received.
func (c *client) requestCode(email string) string {
	t := c.env.t
	t.Helper()
	r := c.post("/api/auth/send-verification", map[string]string{"email": email})
	mustStatus(t, r, http.StatusAccepted)
	m := c.env.nextMail(email)
	if m.Header.Get("Subject") != "Your Launchpad sign-in code" {
		t.Fatalf("unexpected mail %q", m.Header.Get("Subject"))
	}
	match := codeInMail.FindStringSubmatch(m.Body)
	if match == nil {
		t.Fatalf("no code in mail body %q", m.Body)
	}
	return match[1]
}

// signIn runs the whole email-code sign-in and returns the tokens.
func (c *client) signIn(email string) *TokenResponse {
	c.env.t.Helper()
	code := c.requestCode(email)
	r := c.post("/api/auth/verify", map[string]string{"email": email, "code": code})
	mustStatus(c.env.t, r, http.StatusOK)
	var tok TokenResponse
	r.decode(c.env.t, &tok)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn <= 0 {
		c.env.t.Fatalf("incomplete tokens: %s", r.body)
	}
	return &tok
}

// signedIn is a new browser (user agent ua) signed in as email: its client, its tokens and
// the account's id.
func (e *testEnv) signedIn(ua, email string) (*client, *TokenResponse, string) {
	e.t.Helper()
	c := e.newClient(ua)
	tok := c.signIn(email)
	return c, tok, c.me(tok.AccessToken).User.ID
}

// me returns GET /api/me for token.
func (c *client) me(token string) *MeResponse {
	c.env.t.Helper()
	r := c.get("/api/me", token)
	mustStatus(c.env.t, r, http.StatusOK)
	var me MeResponse
	r.decode(c.env.t, &me)
	return &me
}

// auditActions lists the actions of a stream, oldest first, read from the store.
func (e *testEnv) auditActions(stream string) []string {
	e.t.Helper()
	events, err := e.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: stream, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range events {
		out = append(out, ev.Action)
	}
	return out
}

// assertLogsFree fails if any secret appears in the captured logs.
func (e *testEnv) assertLogsFree(secrets ...string) {
	e.t.Helper()
	logs := e.logs.String()
	if logs == "" {
		e.t.Fatal("no logs captured; the check would prove nothing")
	}
	for _, s := range append(secrets, testSecret) {
		if s != "" && strings.Contains(logs, s) {
			e.t.Errorf("a secret (%d chars, starting %.4q) appears in the logs", len(s), s)
		}
	}
}

// waitFor checks cond every pollEvery until it holds, failing the test when limit passes
// first, and says how long it took: how tests wait for what happens in the background (mail
// sent and counted, a job finished, a pass of the metering loop) without guessing a sleep.
func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		<-tick.C
	}
	return time.Since(start)
}

// listeningAddr is the address in serve's "control plane listening" log line (JSON), or "".
func listeningAddr(log []byte) string {
	for _, line := range bytes.Split(log, []byte("\n")) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "control plane listening" {
			return rec.Addr
		}
	}
	return ""
}

// pollEvery is how often waitFor checks its condition.
const pollEvery = 25 * time.Millisecond

func count(list []string, item string) int {
	n := 0
	for _, s := range list {
		if s == item {
			n++
		}
	}
	return n
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
