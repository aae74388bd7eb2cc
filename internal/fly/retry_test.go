package fly

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s)
	seedApp(t, c, "lp-a-u-1")
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.RateLimited("7"), simtest.RateLimited("2"))

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after two 429s: %v", err)
	}
	if got := len(sent(s, "GET /v1/apps/lp-a-u-1")); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] != 2*time.Second {
		t.Errorf("waits = %v, want [7s 2s] (the Retry-After values)", *waits)
	}
}

func TestRetryAfterHTTPDateIsHonoured(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	seedApp(t, c, "lp-a-u-1")
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.RateLimited(now.Add(90*time.Second).Format(http.TimeFormat)))

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if len(*waits) != 1 || (*waits)[0] != 30*time.Second {
		t.Errorf("waits = %v, want [30s]: 90s asked, capped at MaxRetryAfter", *waits)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s, func(c *Config) { c.Retry.MaxRetryAfter = 50 * time.Millisecond })
	seedApp(t, c, "lp-a-u-1")
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.RateLimited("3600"))
	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if len(*waits) != 1 || (*waits)[0] != 50*time.Millisecond {
		t.Errorf("waits = %v, want [50ms]", *waits)
	}
}

// fly-go wraps every transport in rehttp (3 retries of 502/503 and temporary errors). The
// server must see exactly one request per attempt of our loop, or retries would multiply.
func TestOnlyOneRetryLayer(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s)
	seedApp(t, c, "lp-a-u-1")
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.Respond(503), simtest.Respond(502), simtest.Respond(500))

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after 503, 502, 500: %v", err)
	}
	if got := len(sent(s, "GET /v1/apps/lp-a-u-1")); got != 4 {
		t.Errorf("requests = %d, want 4 (3 failures + 1 success, nothing retried underneath)", got)
	}
	if len(*waits) != 3 {
		t.Errorf("waits = %v, want 3", *waits)
	}
}

func TestExhausted429IsRateLimitedWithRetryAfter(t *testing.T) {
	s, c := appOnSim(t)
	for range 4 {
		s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.RateLimited("11"))
	}
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.ERATELIMITED {
		t.Fatalf("code = %q (%v), want rate_limited", code, err)
	}
	if got := launchpad.ErrorRetryAfter(err); got != 11*time.Second {
		t.Errorf("RetryAfter = %s, want 11s", got)
	}
	if got := len(sent(s, "GET /v1/apps/lp-a-u-1")); got != 4 {
		t.Errorf("requests = %d, want MaxAttempts = 4", got)
	}
}

func TestExhausted5xxIsUnavailable(t *testing.T) {
	s, c := appOnSim(t)
	for range 4 {
		s.Sim.ScriptFaults("GET /v1/apps/{app}", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 503, Body: `{"error":"flaps is overloaded"}`})
	}
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Fatalf("code = %q (%v), want unavailable", code, err)
	}
	want := "reading app lp-a-u-1: Fly answered 503 Service Unavailable after 4 attempts: flaps is overloaded; it may be having trouble, try again later"
	if msg := launchpad.ErrorMessage(err); msg != want {
		t.Errorf("message = %q\nwant      %q", msg, want)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	s, c := appOnSim(t, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.Delay(5*time.Second))
	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after one hung request: %v", err)
	}
}

func TestTimeoutsExhaustedSayTimeout(t *testing.T) {
	s, c := appOnSim(t, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.Retry.MaxAttempts = 2 })
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.Delay(5*time.Second), simtest.Delay(5*time.Second))
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Fatalf("code = %q (%v), want unavailable", code, err)
	}
	want := "reading app lp-a-u-1: Fly did not answer in time after 2 attempts (each request waits up to 50ms)"
	if msg := launchpad.ErrorMessage(err); msg != want {
		t.Errorf("message = %q\nwant      %q", msg, want)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	s, c := appOnSim(t)
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.Respond(503), simtest.Respond(503))
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }

	_, err := c.GetApp(ctx, "lp-a-u-1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, context.Canceled) = false for %v", err)
	}
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Errorf("code = %q, want unavailable", code)
	}
	if got := len(sent(s, "GET /v1/apps/lp-a-u-1")); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s, func(c *Config) { c.BaseURL = closedURL(t) })
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Fatalf("code = %q (%v), want unavailable", code, err)
	}
	if len(*waits) != 3 {
		t.Errorf("waits = %d, want 3 (4 attempts)", len(*waits))
	}
}

// closedURL is the URL of a loopback port nothing listens on any more.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}
