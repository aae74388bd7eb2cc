package fly

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// A 429's Retry-After, in seconds or as an HTTP date, is how long the client waits before the
// next attempt, up to MaxRetryAfter.
func TestRetryAfterIsHonouredUpToTheCap(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		faults []sim.ScriptedFault
		want   []time.Duration
	}{
		{name: "seconds", mutate: func(*Config) {},
			faults: []sim.ScriptedFault{simtest.RateLimited("7"), simtest.RateLimited("2")},
			want:   []time.Duration{7 * time.Second, 2 * time.Second}},
		{name: "an HTTP date, 90s asked, capped at the default MaxRetryAfter", mutate: func(*Config) {},
			faults: []sim.ScriptedFault{simtest.RateLimited(now.Add(90 * time.Second).Format(http.TimeFormat))},
			want:   []time.Duration{30 * time.Second}},
		{name: "seconds capped at MaxRetryAfter", mutate: func(c *Config) { c.Retry.MaxRetryAfter = 50 * time.Millisecond },
			faults: []sim.ScriptedFault{simtest.RateLimited("3600")},
			want:   []time.Duration{50 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, sim.FlyOptions{})
			c, waits := simClient(t, s, tt.mutate)
			c.now = func() time.Time { return now }
			seedApp(t, c, "lp-a-u-1")
			s.Sim.ScriptFaults("GET /v1/apps/{app}", tt.faults...)
			if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
				t.Fatalf("GetApp after %d 429s: %v", len(tt.faults), err)
			}
			if got, want := len(sent(s, "GET /v1/apps/lp-a-u-1")), len(tt.faults)+1; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
			if !slices.Equal(*waits, tt.want) {
				t.Errorf("waits = %v, want %v", *waits, tt.want)
			}
		})
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

// A read whose every attempt fails is unavailable, and its message says what the last attempt
// met and how many attempts were made.
func TestExhaustedReadsAreUnavailable(t *testing.T) {
	overloaded := sim.ScriptedFault{Kind: sim.FaultRespond, Status: 503, Body: `{"error":"flaps is overloaded"}`}
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		faults []sim.ScriptedFault
		want   string
	}{
		{name: "5xx", mutate: func(*Config) {}, faults: []sim.ScriptedFault{overloaded, overloaded, overloaded, overloaded},
			want: "reading app lp-a-u-1: Fly answered 503 Service Unavailable after 4 attempts: flaps is overloaded; it may be having trouble, try again later"},
		{name: "timeouts", mutate: func(c *Config) { c.Timeout = 50 * time.Millisecond; c.Retry.MaxAttempts = 2 },
			faults: []sim.ScriptedFault{simtest.Delay(5 * time.Second), simtest.Delay(5 * time.Second)},
			want:   "reading app lp-a-u-1: Fly did not answer in time after 2 attempts (each request waits up to 50ms)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := appOnSim(t, tt.mutate)
			s.Sim.ScriptFaults("GET /v1/apps/{app}", tt.faults...)
			_, err := c.GetApp(context.Background(), "lp-a-u-1")
			if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
				t.Fatalf("code = %q (%v), want unavailable", code, err)
			}
			if msg := launchpad.ErrorMessage(err); msg != tt.want {
				t.Errorf("message = %q\nwant      %q", msg, tt.want)
			}
		})
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	s, c := appOnSim(t, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	s.Sim.ScriptFaults("GET /v1/apps/{app}", simtest.Delay(5*time.Second))
	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after one hung request: %v", err)
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
