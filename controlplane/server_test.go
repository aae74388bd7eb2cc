package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

func TestErrorsAreJSONEverywhere(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	c := env.newClient("test")
	raw := func(method, path, contentType, body string) *response {
		req, _ := http.NewRequest(method, env.srv.URL()+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &response{status: res.StatusCode, header: res.Header, body: b}
	}
	const sv = "/api/auth/send-verification"
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		code, mentions                  string
	}{
		{"unknown route", "GET", "/nope", "", "", 404, "not_found", "/nope"},
		{"wrong method", "GET", sv, "", "", 405, "method_not_allowed", "POST"},
		{"unknown field", "POST", sv, "application/json", `{"email":"a@example.com","admin":true}`, 400, "invalid", "unknown field"},
		{"trailing data", "POST", sv, "application/json", `{"email":"a@example.com"}{"email":"b@example.com"}`, 400, "invalid", "after"},
		{"trailing garbage", "POST", sv, "application/json", `{"email":"a@example.com"} x`, 400, "invalid", ""},
		{"not JSON", "POST", sv, "application/json", `email=a@example.com`, 400, "invalid", "not valid JSON"},
		{"truncated", "POST", sv, "application/json", `{"email":"a@`, 400, "invalid", ""},
		{"wrong type", "POST", sv, "application/json", `{"email":42}`, 400, "invalid", "must be a JSON string"},
		{"array", "POST", sv, "application/json", `[1]`, 400, "invalid", "object"},
		{"form", "POST", sv, "application/x-www-form-urlencoded", `email=a@example.com`, 415, "unsupported_media_type", "application/json"},
		{"no content type", "POST", sv, "", `{"email":"a@example.com"}`, 415, "unsupported_media_type", ""},
		{"latin1", "POST", sv, "application/json; charset=latin1", `{"email":"a@example.com"}`, 415, "unsupported_media_type", "UTF-8"},
		{"too large", "POST", sv, "application/json", `{"email":"` + strings.Repeat("a", 2000) + `@example.com"}`, 413, "too_large", "1024"},
		{"empty body", "POST", sv, "", "", 400, "invalid", "email is empty"},
		{"no token", "GET", "/api/me", "", "", 401, "unauthorized", "Bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := raw(tc.method, tc.path, tc.ctype, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := r.errorCode(t); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !strings.Contains(string(r.body), tc.mentions) {
				t.Fatalf("%v %s", r.header, r.body)
			}
		})
	}
	// Charset utf-8 is fine.
	mustStatus(t, raw("POST", sv, "application/json; charset=UTF-8", `{"email":"a@example.com"}`), http.StatusAccepted)
}

func TestRequestID(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	req, _ := http.NewRequest("GET", env.srv.URL()+"/healthz", nil)
	req.Header.Set("X-Request-Id", "trace-abc.123")
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Request-Id") != "trace-abc.123" {
		t.Fatalf("request id not echoed: %q", res.Header.Get("X-Request-Id"))
	}
	if !strings.Contains(env.logs.String(), `"request_id":"trace-abc.123"`) {
		t.Fatal("request id not logged")
	}
	req.Header.Set("X-Request-Id", "bad id\twith spaces")
	res, err = c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if id := res.Header.Get("X-Request-Id"); len(id) != 24 {
		t.Fatalf("malformed request id kept or not replaced: %q", id)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("test")
	mustStatus(t, c.get("/healthz", ""), http.StatusOK)
	r := c.get("/readyz", "")
	mustStatus(t, r, http.StatusOK)
	if string(r.body) != "{\"status\":\"ready\"}\n" {
		t.Fatal(string(r.body))
	}
	m := string(c.get("/metrics", "").body)
	for _, want := range []string{`launchpad_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`, "go_goroutines", "launchpad_http_request_duration_seconds_bucket"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	env.store.Close() // the store goes away: not ready, still healthy
	r = c.get("/readyz", "")
	mustStatus(t, r, http.StatusServiceUnavailable)
	if r.errorCode(t) != launchpad.EUNAVAILABLE {
		t.Fatal(string(r.body))
	}
	mustStatus(t, c.get("/healthz", ""), http.StatusOK)
}

// blockingStore makes Ping wait, to hold a request in flight.
type blockingStore struct {
	launchpad.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Ping(ctx context.Context) error {
	close(b.entered)
	<-b.release
	return b.Store.Ping(ctx)
}

func TestCloseFinishesInFlightRequests(t *testing.T) {
	env := newTestEnv(t)
	bs := &blockingStore{Store: env.store, entered: make(chan struct{}), release: make(chan struct{})}
	srv := newServerOn(t, "127.0.0.1:0", bs)
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		res, err := http.Get(srv.URL() + "/readyz")
		if err != nil {
			got <- -1
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	<-bs.entered
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	// New connections are refused while the old request is still running.
	waitFor(t, "the listener to close during shutdown", 5*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the in-flight request finished", err)
	default:
	}
	close(bs.release)
	if status := <-got; status != http.StatusOK {
		t.Fatalf("in-flight request ended with %d", status)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

func TestOpenFailsOnABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := newTestEnv(t)
	srv := newServerOn(t, ln.Addr().String(), env.store)
	err = srv.Open()
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(err.Error(), "LAUNCHPAD_ADDR") {
		t.Fatalf("Open on a busy port: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewListsEveryProblem(t *testing.T) {
	_, err := New(Config{Addr: "nope", PublicURL: "ftp://x", AdminToken: "short"}, Deps{})
	if err == nil {
		t.Fatal("New accepted a broken config")
	}
	for _, want := range []string{"LAUNCHPAD_ADDR", "LAUNCHPAD_PUBLIC_URL", "LAUNCHPAD_ADMIN_TOKEN", "Deps.Store", "Deps.Keyring", "Deps.Mailer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Error("error echoes the admin token")
	}
}

func newServerOn(t *testing.T, addr string, st launchpad.Store) *Server {
	t.Helper()
	keyring, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: addr, ShutdownTimeout: 10 * time.Second}, Deps{Store: st, Keyring: keyring, Mailer: smtp.NewLogMailer(discardLogger())})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestServeRefusesToStartAndNamesEveryProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		env   map[string]string
		want  []string
		never []string
	}{
		"nothing set": {
			env:  map[string]string{},
			want: []string{"PLATFORM_SECRET is not set", "OpenTofu not found", "LAUNCHPAD_SMTP_URL is not set", "log: to write mail to the log"},
		},
		"everything wrong": {
			env: map[string]string{
				"PLATFORM_SECRET":                 "too-short-secret",
				"PLATFORM_SECRET_PREVIOUS":        "also-short",
				"LAUNCHPAD_ADDR":                  "localhost",
				"LAUNCHPAD_STORE":                 "mysql://db",
				"LAUNCHPAD_SMTP_URL":              "smtps://user:hunter2-password@mail.example.com:99999",
				"LAUNCHPAD_ADMIN_TOKEN":           "tiny-admin-token",
				"LAUNCHPAD_PUBLIC_URL":            "launchpad.example.com",
				"LAUNCHPAD_TRUSTED_PROXIES":       "10.0.0.0/8,not-an-ip",
				"LAUNCHPAD_LOG_FORMAT":            "xml",
				"LAUNCHPAD_STEP_UP_WINDOW":        "2h",
				"STRIPE_WEBHOOK_SECRET":           "whsec_fine,,whsec_secret-value-123",
				"STRIPE_API_KEY":                  "sk_test_secret key",
				"STRIPE_API_BASE":                 "ftp://stripe",
				"LAUNCHPAD_PAST_DUE_GRACE":        "soon",
				"LAUNCHPAD_VOLUME_RETENTION":      "-1h",
				"LAUNCHPAD_WORKERS":               "0",
				"LAUNCHPAD_JOB_LEASE":             "1s",
				"LAUNCHPAD_JOB_SHUTDOWN_GRACE":    "forever",
				"LAUNCHPAD_APPLY_CANCEL_GRACE":    "2h",
				"LAUNCHPAD_TOFU":                  "/nonexistent/tofu",
				"LAUNCHPAD_PRODUCT":               "Bad Product",
				"LAUNCHPAD_REGION":                "../iad",
				"LAUNCHPAD_IMAGE":                 "image with spaces",
				"LAUNCHPAD_METER_INTERVAL":        "every now and then",
				"LAUNCHPAD_ROTATE_ON_PLAN_CHANGE": "maybe",
				"FLY_API_TOKEN":                   "fo1_fly-token-secret-value",
				"FLY_FLAPS_BASE_URL":              "ftp://flaps",
				"OPENROUTER_MANAGEMENT_KEY":       "sk-or-v1-management-secret",
				"OPENROUTER_API_URL":              "openrouter.example.com",
			},
			want: []string{"PLATFORM_SECRET is 16 bytes", "PLATFORM_SECRET_PREVIOUS", "LAUNCHPAD_ADDR", "LAUNCHPAD_STORE", "LAUNCHPAD_SMTP_URL", "LAUNCHPAD_MAIL_FROM is not set",
				"LAUNCHPAD_ADMIN_TOKEN", "LAUNCHPAD_PUBLIC_URL", "not-an-ip", "LAUNCHPAD_LOG_FORMAT", "LAUNCHPAD_STEP_UP_WINDOW",
				"STRIPE_WEBHOOK_SECRET", "STRIPE_API_KEY", "STRIPE_API_BASE", "LAUNCHPAD_PAST_DUE_GRACE", "LAUNCHPAD_VOLUME_RETENTION",
				"LAUNCHPAD_WORKERS", "LAUNCHPAD_JOB_LEASE", "LAUNCHPAD_JOB_SHUTDOWN_GRACE", "LAUNCHPAD_APPLY_CANCEL_GRACE",
				"LAUNCHPAD_TOFU \"/nonexistent/tofu\" cannot be run", "LAUNCHPAD_PRODUCT", "LAUNCHPAD_REGION", "LAUNCHPAD_IMAGE",
				"LAUNCHPAD_METER_INTERVAL", "LAUNCHPAD_ROTATE_ON_PLAN_CHANGE", "FLY_FLAPS_BASE_URL", "OPENROUTER_API_URL"},
			never: []string{"too-short-secret", "also-short", "hunter2-password", "tiny-admin-token", "secret-value-123", "sk_test_secret",
				"fly-token-secret-value", "management-secret"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir()) // no tofu or terraform to be found
			var stderr bytes.Buffer
			code := runServe(context.Background(), nil, func(k string) string { return tc.env[k] }, io.Discard, &stderr)
			if code == 0 {
				t.Fatal("serve started")
			}
			out := stderr.String()
			if strings.Count(out, "cannot start") != 1 {
				t.Errorf("want one message, got:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("message does not name %q:\n%s", w, out)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out, n) {
					t.Errorf("message echoes a secret value %q:\n%s", n, out)
				}
			}
		})
	}
	// Flags count like their variables, and a flag wins.
	var stderr bytes.Buffer
	code := runServe(context.Background(), []string{"-platform-secret", "x"}, func(k string) string {
		if k == "PLATFORM_SECRET" {
			return strings.Repeat("s", 40)
		}
		return ""
	}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "PLATFORM_SECRET is 1 bytes") {
		t.Fatalf("flag did not override the variable: %d %s", code, stderr.String())
	}
	// -h prints the flags without any value from the environment.
	stderr.Reset()
	if code := runServe(context.Background(), []string{"-h"}, func(string) string { return "env-value-should-not-show" }, io.Discard, &stderr); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
	if !strings.Contains(stderr.String(), "PLATFORM_SECRET") || strings.Contains(stderr.String(), "env-value-should-not-show") {
		t.Fatalf("usage:\n%s", stderr.String())
	}
}

// serve starts, answers, and stops cleanly when its context ends (SIGTERM in main).
func TestServeRunsUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"PLATFORM_SECRET":    testSecret,
		"LAUNCHPAD_ADDR":     "127.0.0.1:0",
		"LAUNCHPAD_STORE":    "sqlite://" + filepath.Join(dir, "lp.db"),
		"LAUNCHPAD_TOFU":     fakeTofu(t),
		"LAUNCHPAD_DATA_DIR": filepath.Join(dir, "data"),
		"LAUNCHPAD_SMTP_URL": smtp.LogURL,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &stacktest.Output{}
	done := make(chan int, 1)
	go func() { done <- runServe(ctx, nil, func(k string) string { return env[k] }, io.Discard, stderr) }()

	var addr string
	waitFor(t, "serve to listen", 20*time.Second, func() bool {
		addr = listeningAddr([]byte(stderr.String()))
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		default:
		}
		return addr != ""
	})
	res, err := http.Post("http://"+addr+"/api/auth/send-verification", "application/json", strings.NewReader(`{"email":"ada@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", res.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{"LAUNCHPAD_SMTP_URL=log:", "sign-in codes included", "STRIPE_WEBHOOK_SECRET is not set", "applies will fail", "job workers started", "job workers stopped", "mail not sent (log mailer)", `"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, testSecret) {
		t.Error("the platform secret is in the logs")
	}
}

func TestClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	trusting := &Server{cfg: Config{TrustedProxies: proxies}}
	plain := &Server{}
	for _, tc := range []struct {
		srv    *Server
		remote string
		xff    []string
		want   string
	}{
		{plain, "198.51.100.7:5555", []string{"203.0.113.1"}, "198.51.100.7"},                   // header ignored
		{trusting, "198.51.100.7:5555", []string{"203.0.113.1"}, "198.51.100.7"},                // untrusted peer
		{trusting, "10.1.2.3:5555", []string{"203.0.113.1"}, "203.0.113.1"},                     // one proxy
		{trusting, "10.1.2.3:5555", []string{"6.6.6.6, 203.0.113.1, 192.0.2.1"}, "203.0.113.1"}, // spoofed left part ignored
		{trusting, "10.1.2.3:5555", []string{"203.0.113.1", "10.9.9.9"}, "203.0.113.1"},         // two header lines
		{trusting, "10.1.2.3:5555", []string{"garbage, 10.9.9.9"}, "10.9.9.9"},                  // stop at junk
		{trusting, "10.1.2.3:5555", nil, "10.1.2.3"},
		{plain, "[::ffff:198.51.100.7]:1", nil, "198.51.100.7"},
		{plain, "[2001:db8::1]:1", nil, "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := tc.srv.clientIP(r); got != tc.want {
			t.Errorf("remote %s xff %q: got %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
	if p, _ := ParseTrustedProxies(""); len(p) != 0 {
		t.Error("empty list not empty")
	}
}

func TestPanicsBecomeJSON500(t *testing.T) {
	env := newTestEnv(t)
	h := env.srv.instrument(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	var body httpjson.ErrorBody
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != "internal" || !strings.Contains(body.Error.Message, rec.Header().Get("X-Request-Id")) {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(env.logs.String(), "handler panicked") {
		t.Fatal("panic not logged")
	}
}

func TestErrorStatusTable(t *testing.T) {
	for code, want := range map[string]int{
		launchpad.EINVALID: 400, launchpad.EUNAUTHORIZED: 401, launchpad.ENOTFOUND: 404, launchpad.ECONFLICT: 409,
		launchpad.ERATELIMITED: 429, launchpad.EUNAVAILABLE: 503, launchpad.EINTERNAL: 500, launchpad.ESTEPUP: 403, "made_up": 500,
	} {
		if got := httpjson.Status(code); got != want {
			t.Errorf("%s: %d, want %d", code, got, want)
		}
	}
	// Uncoded errors never reach the client.
	env := newTestEnv(t)
	rec := httptest.NewRecorder()
	env.srv.writeError(rec, httptest.NewRequest("GET", "/", nil), errors.New("pq: password=hunter2 rejected"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestConfigStringRedactsTheAdminToken(t *testing.T) {
	c := Config{AdminToken: "very-secret-admin-token-0123456789-abcdef", Addr: "127.0.0.1:1"}
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(&serveConfig{Config: c, secret: "platform-secret-value"})} {
		if strings.Contains(s, "very-secret") || strings.Contains(s, "platform-secret-value") || !strings.Contains(s, "127.0.0.1:1") {
			t.Errorf("leaks or loses fields: %s", s)
		}
	}
}

// A flag reaches the background half like its variable: the subpackages and the provider's
// environment see the values the flags resolved.
func TestServeFlagsReachTheWorkersAndTheProvider(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadServeConfig([]string{"-store", "sqlite://./rel.db", "-workers", "3", "-volume-retention", "5s", "-tofu", fakeTofu(t), "-data-dir", dir, "-smtp-url", smtp.LogURL},
		func(k string) string {
			return map[string]string{"PLATFORM_SECRET": testSecret, "LAUNCHPAD_STORE": "sqlite:///elsewhere.db", "LAUNCHPAD_WORKERS": "9", "FLY_ORG": "acme"}[k]
		}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("rel.db")
	env := cfg.workers.Runner.ProviderEnv
	if env["LAUNCHPAD_STORE"] != "sqlite://"+abs || env["PLATFORM_SECRET"] != testSecret || env["FLY_ORG"] != "acme" {
		t.Fatalf("the provider's environment: store %q, secret set %v, org %q; want the flag's store made absolute", env["LAUNCHPAD_STORE"], env["PLATFORM_SECRET"] == testSecret, env["FLY_ORG"])
	}
	if cfg.workers.Queue.Workers != 3 || cfg.billing.VolumeRetention != 5*time.Second || cfg.workers.Runner.DataDir != dir {
		t.Fatalf("workers %d, retention %s, data dir %q; want the flags' values", cfg.workers.Queue.Workers, cfg.billing.VolumeRetention, cfg.workers.Runner.DataDir)
	}
}
