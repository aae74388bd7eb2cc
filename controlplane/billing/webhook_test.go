package billing_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/stripe/stripe-go/v76/webhook"
)

func subscriptionEvent(id string, created time.Time) billingtest.Event {
	return billingtest.SubscriptionUpdated(id, created, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: created})
}

func TestWebhookRecordsTheEventAndItsJobBeforeAnswering(t *testing.T) {
	s, _ := newStore(t)
	var woken atomic.Int32
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}, OnRecorded: func() { woken.Add(1) }})
	ev := subscriptionEvent("evt_1", time.Now())

	r := deliver(t, url, ev)
	if r.body["received"] != true || r.body["duplicate"] != false {
		t.Fatalf("answer %s, want received and not a duplicate", r.raw)
	}
	rec, err := s.GetStripeEvent(t.Context(), "evt_1")
	if err != nil {
		t.Fatalf("the answered event is not recorded: %v", err)
	}
	if rec.Type != billing.EventSubscriptionUpdated || !bytes.Equal(rec.Payload, ev.Body) || !rec.ProcessedAt.IsZero() {
		t.Fatalf("recorded event: type %q, payload kept %v, processed %v", rec.Type, bytes.Equal(rec.Payload, ev.Body), rec.ProcessedAt)
	}
	js := jobs(t, s, launchpad.JobFilter{Kind: launchpad.JobStripeEvent})
	if len(js) != 1 || js[0].Key != "stripe:cus_1" || string(js[0].Payload) != `{"event_id":"evt_1"}` {
		t.Fatalf("jobs %s; want one stripe_event job keyed by the customer", mustJSON(js))
	}
	if woken.Load() != 1 {
		t.Fatalf("OnRecorded called %d times, want 1", woken.Load())
	}
}

func TestDuplicateDeliveriesRecordOneEventAndOneJob(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	ev := subscriptionEvent("evt_dup", time.Now())
	deliver(t, url, ev)
	// Stripe re-sends the same event, signed again, several times at once.
	var wg sync.WaitGroup
	var dups atomic.Int32
	for range 8 {
		wg.Go(func() {
			r := post(t, url, ev.Body, ev.Signature(secret, time.Now()))
			if r.status != http.StatusOK {
				t.Errorf("duplicate delivery answered %d: %s", r.status, r.raw)
			}
			if r.body["duplicate"] == true {
				dups.Add(1)
			}
		})
	}
	wg.Wait()
	if dups.Load() != 8 {
		t.Errorf("%d of 8 re-deliveries were reported as duplicates", dups.Load())
	}
	holds(t, s, "nine deliveries of one event", 1, 1)
}

func TestRefusedDeliveriesStoreNothing(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	good := subscriptionEvent("evt_bad", time.Now()).Body
	notJSON := []byte(`{"id": "evt_x", "type": `)
	noID := billingtest.NewEvent("", billing.EventSubscriptionUpdated, time.Now(), map[string]any{"id": "sub_1"}).Body
	for _, tc := range []struct {
		name, header, wantMessage string
		payload                   []byte
	}{
		{"bad signature", billingtest.Sign(good, "whsec_someone_else", time.Now()), "no signature matches", good},
		{"signature of another body", billingtest.Sign([]byte(`{"id":"evt_other"}`), secret, time.Now()), "no signature matches", good},
		{"6-minute-old timestamp", billingtest.Sign(good, secret, time.Now().Add(-6*time.Minute)), "more than 5m0s old", good},
		{"no signature header", "", "Stripe-Signature header is missing", good},
		{"malformed header", "t=now,v1", "header is malformed", good},
		{"signed body that is not JSON", billingtest.Sign(notJSON, secret, time.Now()), "not a Stripe event", notJSON},
		{"signed event without an id", billingtest.Sign(noID, secret, time.Now()), "its id is missing", noID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, url, tc.payload, tc.header)
			code, msg := errorOf(r)
			if r.status != http.StatusBadRequest || code != launchpad.EINVALID || !strings.Contains(msg, tc.wantMessage) {
				t.Fatalf("answered %d %s; want 400 invalid saying %q", r.status, r.raw, tc.wantMessage)
			}
			if strings.Contains(r.raw, secret) || (tc.header != "" && strings.Contains(r.raw, tc.header)) {
				t.Fatalf("the error echoes the secret or the signature: %s", r.raw)
			}
		})
	}
	holds(t, s, "refused deliveries", 0, 0)
}

func TestRolledSecretsAreAccepted(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret, oldSecret}})
	now := time.Now()
	// While a secret rolls, Stripe signs with both: one header, two v1 signatures.
	both := subscriptionEvent("evt_both", now).Body
	header := fmt.Sprintf("t=%d,v1=%s,v1=%s", now.Unix(),
		hex.EncodeToString(webhook.ComputeSignature(now, both, oldSecret)),
		hex.EncodeToString(webhook.ComputeSignature(now, both, secret)))
	for _, tc := range []struct {
		name, header string
		payload      []byte
	}{
		{"new secret only", "", subscriptionEvent("evt_new", now).Body},
		{"old secret only", "", subscriptionEvent("evt_old", now).Body},
		{"both signatures", header, both},
	} {
		if tc.header == "" {
			sec := secret
			if strings.Contains(tc.name, "old") {
				sec = oldSecret
			}
			tc.header = billingtest.Sign(tc.payload, sec, now)
		}
		if r := post(t, url, tc.payload, tc.header); r.status != http.StatusOK {
			t.Errorf("%s: answered %d %s, want 200", tc.name, r.status, r.raw)
		}
	}
	if n := len(events(t, s)); n != 3 {
		t.Fatalf("%d events recorded, want 3", n)
	}
	// A header with only the old secret's signature is refused once the old secret is gone.
	url2 := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	p := subscriptionEvent("evt_retired", now)
	if r := post(t, url2, p.Body, p.Signature(oldSecret, now)); r.status != http.StatusBadRequest {
		t.Fatalf("a retired secret's signature answered %d, want 400", r.status)
	}
}

func TestOversizedBodyIs413AndStoresNothing(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	huge := billingtest.NewEvent("evt_huge", billing.EventSubscriptionUpdated, time.Now(), map[string]any{"customer": "cus_1", "pad": strings.Repeat("x", 10<<20)})
	r := post(t, url, huge.Body, huge.Signature(secret, time.Now()))
	if code, _ := errorOf(r); r.status != http.StatusRequestEntityTooLarge || code != "too_large" {
		t.Fatalf("a 10 MB body answered %d %s; want 413 too_large", r.status, r.raw)
	}
	holds(t, s, "the oversized body", 0, 0)
}

// downStore is a store that cannot be reached.
type downStore struct{ launchpad.Store }

func (downStore) RecordStripeEvent(context.Context, *launchpad.StripeEvent, *launchpad.Job) (bool, error) {
	return false, launchpad.Errorf(launchpad.EUNAVAILABLE, "database is locked")
}

func TestStoreDownIs503SoStripeRetries(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: downStore{s}, Secrets: []string{secret}})
	p := subscriptionEvent("evt_down", time.Now())
	r := post(t, url, p.Body, p.Signature(secret, time.Now()))
	if code, _ := errorOf(r); r.status != http.StatusServiceUnavailable || code != launchpad.EUNAVAILABLE || r.header.Get("Retry-After") == "" {
		t.Fatalf("store down: answered %d %s (Retry-After %q); want 503 unavailable with Retry-After", r.status, r.raw, r.header.Get("Retry-After"))
	}
	// Stripe retries once the store is back: the event is recorded then.
	url2 := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	deliver(t, url2, p)
	if n := len(events(t, s)); n != 1 {
		t.Fatalf("after the retry %d events are recorded, want 1", n)
	}
}

func TestOlderAPIVersionIsAcceptedAndWarnedAboutOnce(t *testing.T) {
	s, _ := newStore(t)
	log, buf := newLogger(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}, Logger: log})
	for i := range 2 {
		deliver(t, url, withAPIVersion(subscriptionEvent(fmt.Sprintf("evt_v%d", i), time.Now()), "2020-08-27"))
	}
	if n := strings.Count(buf.String(), "older than the oldest supported one"); n != 1 {
		t.Fatalf("the old version was warned about %d times, want once:\n%s", n, buf.String())
	}
	if n := strings.Count(buf.String(), "api_version=2020-08-27"); n != 3 {
		t.Fatalf("the event's API version is in %d log lines, want 3 (the warning and each event's):\n%s", n, buf.String())
	}
	if n := len(jobs(t, s, launchpad.JobFilter{})); n != 2 {
		t.Fatalf("%d jobs for two events of another API version, want 2", n)
	}
}

func TestUnhandledEventTypesAreRecordedAsProcessed(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	deliver(t, url, billingtest.NewEvent("evt_cust", "customer.created", time.Now(), map[string]any{"id": "cus_9", "object": "customer"}))
	rec, err := s.GetStripeEvent(t.Context(), "evt_cust")
	if err != nil || rec.ProcessedAt.IsZero() {
		t.Fatalf("unhandled event: %+v, %v; want recorded and marked processed", rec, err)
	}
	if n := len(jobs(t, s, launchpad.JobFilter{})); n != 0 {
		t.Fatalf("an unhandled event enqueued %d jobs", n)
	}
}

func TestWebhookWithoutSecretOrWithGETIsRefused(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s})
	p := subscriptionEvent("evt_nosecret", time.Now())
	if r := post(t, url, p.Body, p.Signature(secret, time.Now())); r.status != http.StatusServiceUnavailable || !strings.Contains(r.raw, "STRIPE_WEBHOOK_SECRET") {
		t.Fatalf("no secret configured: answered %d %s; want 503 naming STRIPE_WEBHOOK_SECRET", r.status, r.raw)
	}
	url = webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Fatalf("GET answered %d (Allow %q), want 405 with Allow: POST", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestLoadEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	e, err := billing.LoadEnv(env(map[string]string{
		"STRIPE_WEBHOOK_SECRET": "whsec_a, whsec_b", "STRIPE_API_KEY": "sk_test_123", "STRIPE_API_BASE": "http://127.0.0.1:12111",
		"LAUNCHPAD_PAST_DUE_GRACE": "48h", "LAUNCHPAD_VOLUME_RETENTION": "14d",
	}))
	if err != nil || len(e.WebhookSecrets) != 2 || e.WebhookSecrets[1] != "whsec_b" || e.PastDueGrace != 48*time.Hour || e.VolumeRetention != 14*24*time.Hour || e.Fetcher() == nil {
		t.Fatalf("LoadEnv = %+v, %v", e, err)
	}
	d, err := billing.LoadEnv(env(nil))
	if err != nil || d.WebhookSecrets != nil || d.PastDueGrace != launchpad.DefaultPastDueGrace || d.VolumeRetention != billing.DefaultVolumeRetention || d.APIBase != billing.DefaultAPIBase || d.Fetcher() != nil {
		t.Fatalf("defaults: %+v, %v", d, err)
	}
	_, err = billing.LoadEnv(env(map[string]string{
		"STRIPE_WEBHOOK_SECRET": "whsec_a,,whsec_b", "STRIPE_API_BASE": "ftp://x", "LAUNCHPAD_PAST_DUE_GRACE": "soon", "LAUNCHPAD_VOLUME_RETENTION": "-1h",
		"STRIPE_API_KEY": "sk_test_1 sk_test_2",
	}))
	for _, want := range []string{"STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "LAUNCHPAD_PAST_DUE_GRACE", "LAUNCHPAD_VOLUME_RETENTION", "STRIPE_API_KEY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadEnv with a bad %s: %v; want it named", want, err)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "whsec_a") || strings.Contains(err.Error(), "sk_test_1")) {
		t.Errorf("the error echoes a secret: %v", err)
	}
}

// TestWebhookRefusesHostileBodies sends bodies an attacker would — and, worse, signs them
// with the endpoint's own secret, as someone holding a leaked secret could: 100,000 nested
// arrays or objects, invalid UTF-8 in the id or deep in data.object, overlong UTF-8, a raw
// NUL. Each is refused 400 with the JSON error shape, nothing is recorded and nothing queued.
// (The 10 MB body is TestOversizedBodyIs413AndStoresNothing.)
func TestWebhookRefusesHostileBodies(t *testing.T) {
	s, _ := newStore(t)
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}})
	goodEvent := billingtest.SubscriptionUpdated("evt_hostile", time.Now(), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: time.Now()})
	good := string(goodEvent.Body)
	bodies := map[string]string{
		"100,000 nested arrays":          strings.Repeat("[", 100_000),
		"100,000 nested objects":         strings.Repeat(`{"a":`, 100_000),
		"nested arrays in data.object":   strings.Replace(good, `"object":{`, `"object":{"x":`+strings.Repeat("[", 100_000)+`0`+strings.Repeat("]", 100_000)+`,`, 1),
		"invalid UTF-8 in the id":        strings.Replace(good, "evt_hostile", "evt_host\xffile", 1),
		"invalid UTF-8 in data.object":   strings.Replace(good, `"cus_1"`, "\"cus_\xfe\xff\"", 1),
		"overlong UTF-8 in the type":     strings.Replace(good, "customer.subscription.updated", "customer\xc0\xaesubscription.updated", 1),
		"a lone surrogate in the status": strings.Replace(good, `"active"`, "\"act\xed\xa0\x80ive\"", 1),
		"a raw NUL in the id":            strings.Replace(good, "evt_hostile", "evt_\x00hostile", 1),
	}
	for name, body := range bodies {
		for _, signed := range []bool{false, true} {
			header := billingtest.Sign([]byte(body), "whsec_someone_else", time.Now())
			if signed {
				header = billingtest.Sign([]byte(body), secret, time.Now())
			}
			r := post(t, url, []byte(body), header)
			code, msg := errorOf(r)
			if r.status != http.StatusBadRequest || code != launchpad.EINVALID || msg == "" {
				t.Errorf("%s (signed with the endpoint's secret: %v): %d %s", name, signed, r.status, r.raw)
			}
		}
	}
	holds(t, s, "hostile bodies", 0, 0)
	// The endpoint still takes a real event.
	deliver(t, url, goodEvent)
}
