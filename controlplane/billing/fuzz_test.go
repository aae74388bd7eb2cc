package billing_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// memEvents is an in-memory StripeEventStore, so the fuzzer runs fast.
type memEvents struct {
	mu     sync.Mutex
	events map[string]*launchpad.StripeEvent
}

func (m *memEvents) RecordStripeEvent(_ context.Context, ev *launchpad.StripeEvent, _ *launchpad.Job) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.events[ev.ID]; ok {
		return false, nil
	}
	m.events[ev.ID] = ev
	return true, nil
}

func (m *memEvents) GetStripeEvent(context.Context, string) (*launchpad.StripeEvent, error) {
	return nil, launchpad.Errorf(launchpad.ENOTFOUND, "not kept")
}

func (m *memEvents) UpdateStripeEvent(context.Context, string, func(*launchpad.StripeEvent) error) (*launchpad.StripeEvent, error) {
	return nil, launchpad.Errorf(launchpad.ENOTFOUND, "not kept")
}

func (m *memEvents) ListStripeEvents(context.Context, int) ([]*launchpad.StripeEvent, error) {
	return nil, nil
}

// FuzzWebhookBody signs arbitrary bodies with the endpoint's secret: the webhook answers
// 200 (an event), 400 (not one) or 413, never panics or 5xx, and records only what it
// answered 200 for.
func FuzzWebhookBody(f *testing.F) {
	f.Add(billingtest.SubscriptionUpdated("evt_1", time.Now(), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: time.Now()}).Body)
	f.Add([]byte(`{"id":"evt_2","type":"x","created":1,"data":{"object":{"customer":{"id":"cus_2"}}}}`))
	f.Add([]byte(`{"id":"evt\n3","type":"invoice.paid","created":1,"data":{"object":null}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("\xff\xfe{\"id\":\"evt_4\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		store := &memEvents{events: map[string]*launchpad.StripeEvent{}}
		h := billing.NewWebhookHandler(billing.WebhookConfig{Store: store, Secrets: []string{secret}, MaxBody: 64 << 10})
		req := httptest.NewRequest(http.MethodPost, "/api/stripe/webhook", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", billingtest.Sign(body, secret, time.Now()))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if len(store.events) != 1 {
				t.Fatalf("200 with %d events recorded", len(store.events))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if len(store.events) != 0 {
				t.Fatalf("%d with an event recorded", rec.Code)
			}
		default:
			t.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
	})
}
