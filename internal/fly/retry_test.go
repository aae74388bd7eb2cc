package fly

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func seedApp(t *testing.T, c *Client, name string) {
	t.Helper()
	if _, err := c.CreateApp(context.Background(), launchpad.AppSpec{Name: name}); err != nil {
		t.Fatalf("CreateApp(%s): %v", name, err)
	}
}

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	f := newFakeFly(t)
	c, waits := f.client(t)
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{status: 429, retryAfter: "7"}, fault{status: 429, retryAfter: "2"})

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after two 429s: %v", err)
	}
	if got := f.count("GET /v1/apps/lp-a-u-1"); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] != 2*time.Second {
		t.Errorf("waits = %v, want [7s 2s] (the Retry-After values)", *waits)
	}
}

func TestRetryAfterHTTPDateIsHonoured(t *testing.T) {
	f := newFakeFly(t)
	c, waits := f.client(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{status: 429, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)})

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if len(*waits) != 1 || (*waits)[0] != 30*time.Second {
		t.Errorf("waits = %v, want [30s]: 90s asked, capped at MaxRetryAfter", *waits)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	f := newFakeFly(t)
	c, waits := f.client(t, func(c *Config) { c.Retry.MaxRetryAfter = 50 * time.Millisecond })
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{status: 429, retryAfter: "3600"})
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
	f := newFakeFly(t)
	c, waits := f.client(t)
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{status: 503}, fault{status: 502}, fault{status: 500})

	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after 503, 502, 500: %v", err)
	}
	if got := f.count("GET /v1/apps/lp-a-u-1"); got != 4 {
		t.Errorf("requests = %d, want 4 (3 failures + 1 success, nothing retried underneath)", got)
	}
	if len(*waits) != 3 {
		t.Errorf("waits = %v, want 3", *waits)
	}
}

func TestExhausted429IsRateLimitedWithRetryAfter(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t)
	seedApp(t, c, "lp-a-u-1")
	for range 4 {
		f.fail("GET /v1/apps/{app}", fault{status: 429, retryAfter: "11"})
	}
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.ERATELIMITED {
		t.Fatalf("code = %q (%v), want rate_limited", code, err)
	}
	if got := launchpad.ErrorRetryAfter(err); got != 11*time.Second {
		t.Errorf("RetryAfter = %s, want 11s", got)
	}
	if got := f.count("GET /v1/apps/lp-a-u-1"); got != 4 {
		t.Errorf("requests = %d, want MaxAttempts = 4", got)
	}
}

func TestExhausted5xxIsUnavailable(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t)
	seedApp(t, c, "lp-a-u-1")
	for range 4 {
		f.fail("GET /v1/apps/{app}", fault{status: 503, body: `{"error":"flaps is overloaded"}`})
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
	f := newFakeFly(t)
	c, _ := f.client(t, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{hang: 5 * time.Second})
	if _, err := c.GetApp(context.Background(), "lp-a-u-1"); err != nil {
		t.Fatalf("GetApp after one hung request: %v", err)
	}
}

func TestTimeoutsExhaustedSayTimeout(t *testing.T) {
	f := newFakeFly(t)
	c, _ := f.client(t, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.Retry.MaxAttempts = 2 })
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{hang: 5 * time.Second}, fault{hang: 5 * time.Second})
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
	f := newFakeFly(t)
	c, _ := f.client(t)
	seedApp(t, c, "lp-a-u-1")
	f.fail("GET /v1/apps/{app}", fault{status: 503}, fault{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }

	_, err := c.GetApp(ctx, "lp-a-u-1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, context.Canceled) = false for %v", err)
	}
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Errorf("code = %q, want unavailable", code)
	}
	if got := f.count("GET /v1/apps/lp-a-u-1"); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	f := newFakeFly(t)
	url := f.srv.URL
	f.srv.Close()
	c, waits := f.client(t, func(c *Config) { c.BaseURL = url })
	_, err := c.GetApp(context.Background(), "lp-a-u-1")
	if code := launchpad.ErrorCode(err); code != launchpad.EUNAVAILABLE {
		t.Fatalf("code = %q (%v), want unavailable", code, err)
	}
	if len(*waits) != 3 {
		t.Errorf("waits = %d, want 3 (4 attempts)", len(*waits))
	}
}
