package billing_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// countingMetrics records what billing counts.
type countingMetrics struct {
	mu         sync.Mutex
	unreadable []string // "type api_version stage"
}

func (m *countingMetrics) StripeEventUnreadable(typ, version, stage string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unreadable = append(m.unreadable, typ+" "+version+" "+stage)
}

func (m *countingMetrics) counted() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.unreadable)
}

// unreadableEvents are events of a shape no supported API version has: acting on any of them
// would be a guess.
func unreadableEvents() map[string]billingtest.Event {
	renewal := billingtest.Invoice{ID: "in_2", Customer: "cus_1", BillingReason: "subscription_cycle", PeriodStart: t0, APIVersion: billingtest.Basil}
	periodless := billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0, APIVersion: billingtest.Basil}.Object()
	delete(periodless["items"].(map[string]any)["data"].([]any)[0].(map[string]any), "current_period_start")
	return map[string]billingtest.Event{
		// A renewal whose subscription is in neither place: today it would read as a one-off
		// invoice, and the renewal would be dropped.
		"renewal invoice naming no subscription": billingtest.InvoicePaid("evt_no_sub", at(time.Minute), renewal),
		"failed renewal naming no subscription":  billingtest.InvoicePaymentFailed("evt_no_sub_failed", at(time.Minute), renewal),
		// A subscription with its period in neither place: the cycle would never reset.
		"subscription without a period": billingtest.NewEventOfVersion("evt_no_period", billing.EventSubscriptionUpdated, billingtest.Clover, at(time.Minute), periodless),
		// A field of another type than any version gives it.
		"invoice whose lines do not decode": billingtest.NewEventOfVersion("evt_bad_lines", billing.EventInvoicePaid, billingtest.Basil, at(time.Minute),
			map[string]any{"id": "in_3", "object": "invoice", "customer": "cus_1", "billing_reason": "subscription_cycle", "lines": "all of them"}),
	}
}

// TestUnreadableEventsAreRefusedAtTheWebhook: an event the processor acts on whose object it
// cannot read is answered non-2xx (so Stripe retries it), logged with its API version,
// counted, and not recorded — never taken as done.
func TestUnreadableEventsAreRefusedAtTheWebhook(t *testing.T) {
	for name, ev := range unreadableEvents() {
		t.Run(name, func(t *testing.T) {
			s, _ := newStore(t)
			log, out := newLogger(t)
			m := &countingMetrics{}
			url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}, Metrics: m, Logger: log})
			r := post(t, url, ev.Body, ev.Signature(secret, time.Now()))
			if r.status/100 == 2 {
				t.Fatalf("an unreadable %s event was answered %d; Stripe would not retry it", ev.Type, r.status)
			}
			if code, msg := errorOf(r); r.status != http.StatusBadRequest || code != launchpad.EINVALID || !strings.Contains(msg, ev.ID) || !strings.Contains(msg, "cannot be read") {
				t.Fatalf("answer %d %s %q; want 400 invalid naming the event and why", r.status, code, msg)
			}
			holds(t, s, "a refused event", 0, 0)
			version := eventVersion(t, ev)
			if got := m.counted(); len(got) != 1 || got[0] != ev.Type+" "+version+" "+billing.StageWebhook {
				t.Fatalf("counted %v; want one unreadable %s of %s at the webhook", got, ev.Type, version)
			}
			if logged := out.String(); !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, "api_version="+version) || !strings.Contains(logged, ev.ID) {
				t.Fatalf("the refusal is not logged as an error with the event and its API version:\n%s", logged)
			}
		})
	}
}

// TestUnreadableRecordedEventsFailPermanently: an unreadable event that is recorded all the
// same (recorded before the webhook refused such shapes, or an operator's re-run) fails its
// job permanently with the reason on the event, and is counted — not marked done as "nothing
// to do".
func TestUnreadableRecordedEventsFailPermanently(t *testing.T) {
	m := &countingMetrics{}
	w := newWorldWith(t, nil, func(c *billing.ProcessorConfig) { c.Metrics = m })
	w.subscribeIn(t, versioned(billingtest.Basil))
	var want []string
	for _, ev := range unreadableEvents() {
		rec := &launchpad.StripeEvent{ID: ev.ID, Type: ev.Type, Created: ev.Created, APIVersion: eventVersion(t, ev), Payload: ev.Body, ReceivedAt: w.clock.Now()}
		if _, err := w.store.RecordStripeEvent(t.Context(), rec, billing.StripeEventJob(ev.ID, "cus_1", 0)); err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.Type+" "+rec.APIVersion+" "+billing.StageProcessor)
	}
	logged := len(w.log.String())
	out := w.drain(t)
	if len(out) != len(want) {
		t.Fatalf("%d jobs ran, want %d", len(out), len(want))
	}
	for _, o := range out {
		if !queue.IsPermanent(o.err) || !strings.Contains(o.err.Error(), "cannot be read") {
			t.Errorf("job %s: %v; want a permanent error saying the event cannot be read", o.job.ID, o.err)
		}
	}
	for _, e := range events(t, w.store) {
		if strings.HasPrefix(e.ID, "evt_no") || strings.HasPrefix(e.ID, "evt_bad") {
			if !strings.Contains(e.Error, "cannot be read") {
				t.Errorf("event %s: error %q; want why it cannot be read", e.ID, e.Error)
			}
		}
	}
	got := m.counted()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("counted %v; want %v", got, want)
	}
	if strings.Contains(w.log.String()[logged:], "nothing to do") {
		t.Errorf("an unreadable event was logged as nothing to do:\n%s", w.log.String()[logged:])
	}
	if u := getUser(t, w.store, "u1"); !u.Usage.CycleStart.IsZero() || u.Subscription.Status != "active" {
		t.Errorf("an unreadable event changed the user: %+v", u)
	}
}

func eventVersion(t *testing.T, ev billingtest.Event) string {
	t.Helper()
	var e struct {
		APIVersion string `json:"api_version"`
	}
	if err := json.Unmarshal(ev.Body, &e); err != nil || e.APIVersion == "" {
		t.Fatalf("event %s has no api_version: %v", ev.ID, err)
	}
	return e.APIVersion
}
