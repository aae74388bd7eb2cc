package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

const (
	secret    = "whsec_test_current_0123456789abcdef"
	oldSecret = "whsec_test_previous_0123456789abcdef"
)

// newStore opens a fresh SQLite store in the test's temporary directory.
func newStore(t *testing.T) (launchpad.Store, string) { return sqlitetest.Open(t, sqlite.Options{}) }

// newLogger returns a logger that writes to the test's log and to the output it returns, for
// assertions on what was logged.
func newLogger(t *testing.T) (*slog.Logger, *stacktest.Output) {
	out := &stacktest.Output{}
	return stacktest.Logger(t, out), out
}

// webhookServer serves the webhook handler on loopback.
func webhookServer(t *testing.T, cfg billing.WebhookConfig) string {
	t.Helper()
	srv := httptest.NewServer(billing.NewWebhookHandler(cfg))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/stripe/webhook"
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends a webhook delivery.
func post(t *testing.T, url string, payload []byte, sigHeader string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if sigHeader != "" {
		req.Header.Set("Stripe-Signature", sigHeader)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("POST %s answered %d with a body that is not JSON: %q", url, res.StatusCode, raw)
	}
	return r
}

// deliver signs ev with secret now and posts it; it fails the test unless it gets 200.
func deliver(t *testing.T, url string, ev billingtest.Event) response {
	t.Helper()
	r := post(t, url, ev.Body, ev.Signature(secret, time.Now()))
	if r.status != http.StatusOK {
		t.Fatalf("delivery answered %d: %s", r.status, r.raw)
	}
	return r
}

func errorOf(r response) (code, message string) {
	e, _ := r.body["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// holds fails the test unless the store holds nEvents Stripe events and nJobs jobs after
// what happened.
func holds(t *testing.T, s launchpad.Store, after string, nEvents, nJobs int) {
	t.Helper()
	if n := len(events(t, s)); n != nEvents {
		t.Fatalf("after %s the store holds %d events, want %d", after, n, nEvents)
	}
	if n := len(jobs(t, s, launchpad.JobFilter{})); n != nJobs {
		t.Fatalf("after %s the store holds %d jobs, want %d", after, n, nJobs)
	}
}

func jobs(t *testing.T, s launchpad.Store, f launchpad.JobFilter) []*launchpad.Job {
	t.Helper()
	js, err := s.ListJobs(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func events(t *testing.T, s launchpad.Store) []*launchpad.StripeEvent {
	t.Helper()
	evs, err := s.ListStripeEvents(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func getUser(t *testing.T, s launchpad.Store, id string) *launchpad.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), id)
	if err != nil {
		t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

func audit(t *testing.T, s launchpad.Store, stream string) []*launchpad.AuditEvent {
	t.Helper()
	evs, err := s.ListAudit(t.Context(), launchpad.AuditFilter{Stream: stream, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func auditActions(t *testing.T, s launchpad.Store, stream string) []string {
	var out []string
	for _, e := range audit(t, s, stream) {
		out = append(out, e.Action)
	}
	return out
}

// plans creates the starter and pro plans.
func plans(t *testing.T, s launchpad.Store) {
	t.Helper()
	for _, p := range []*launchpad.Plan{
		{Name: "starter", StripePriceID: "price_Starter", MonthlySpendLimitUSD: 10, MachineHoursPerCycle: 100, VolumeSizeGB: 5,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}},
		{Name: "pro", StripePriceID: "price_Pro", MonthlySpendLimitUSD: 50, MachineHoursPerCycle: 400, VolumeSizeGB: 20,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}},
	} {
		if err := s.CreatePlan(t.Context(), p); err != nil {
			t.Fatalf("CreatePlan(%s): %v", p.Name, err)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// withAPIVersion returns the event with another api_version.
func withAPIVersion(ev billingtest.Event, v string) billingtest.Event {
	var m map[string]any
	if err := json.Unmarshal(ev.Body, &m); err != nil {
		panic(err)
	}
	m["api_version"] = v
	ev.Body = []byte(mustJSON(m))
	return ev
}
