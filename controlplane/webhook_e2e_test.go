package controlplane

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestServeFetchesSubscriptionsFromTheStripeAPI sets STRIPE_API_KEY and STRIPE_API_BASE (to
// stripe-mock) on serve: the checkout alone, whose payload carries no subscription, gets the
// subscription from the API, maps its price to a plan and applies the tenant.
func TestServeFetchesSubscriptionsFromTheStripeAPI(t *testing.T) {
	base := stacktest.StartStripeMock(t)
	// stripe-mock is stateless: it answers its fixture subscription for any id. Its price is
	// what the plan must carry.
	fixture, err := billing.NewStripeAPI("sk_test_launchpad", base, nil).GetSubscription(t.Context(), "sub_mocked")
	if err != nil || fixture.Items == nil || len(fixture.Items.Data) == 0 || fixture.Items.Data[0].Price == nil {
		t.Fatalf("stripe-mock's fixture subscription: %+v, %v", fixture, err)
	}
	price := fixture.Items.Data[0].Price.ID

	s := startStack(t, true, map[string]string{"STRIPE_API_KEY": "sk_test_launchpad", "STRIPE_API_BASE": base})
	if err := s.store.CreatePlan(t.Context(), &launchpad.Plan{Name: "mocked", StripePriceID: price, MonthlySpendLimitUSD: 20, VolumeSizeGB: 10,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}}); err != nil {
		t.Fatalf("a plan for stripe-mock's price %q: %v", price, err)
	}
	const user = "grace01"
	if err := s.store.CreateUser(t.Context(), &launchpad.User{ID: user, Email: "grace@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	s.deliver(billingtest.CheckoutCompleted("evt_checkout", time.Now(), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: user, Email: "grace@example.com", Subscription: "sub_mocked"}).Body)
	took := waitFor(t, "the tenant on stripe-mock's plan", 3*time.Minute, func() bool {
		_, ok := tenantIs(s.fly, s.or, 2, 2048, 20)
		return ok && len(succeeded(s.applies(user))) == 1
	})
	t.Logf("MEASURED checkout (subscription fetched from stripe-mock) to tenant running: %s", took.Round(time.Millisecond))
	u, err := s.store.GetUser(t.Context(), user)
	if err != nil || u.Plan != "mocked" || u.Subscription.PriceID != price || u.Subscription.Status != string(fixture.Status) {
		t.Fatalf("user after checkout: %+v, %v; want Stripe's (stripe-mock's) subscription on plan mocked", u, err)
	}
	s.assertNoSecretsInLogs()
}

// TestWebhookRefusesBadDeliveriesAndStoresNothing: a wrong signature, a signature older than
// five minutes, a missing or malformed header and a body that is not an event are answered
// 400 with a JSON error, and leave no event and no job behind. The same payload, correctly
// signed, is then accepted, so the refusals are about the signatures.
func TestWebhookRefusesBadDeliveriesAndStoresNothing(t *testing.T) {
	s := startStack(t, false, map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_old_0123456789abcdef," + stackWebhookSecret})
	payload := billingtest.SubscriptionCreated("evt_1", time.Now(), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: time.Now()}).Body
	now := time.Now()
	// A basil renewal invoice that names its subscription nowhere: signed, but unreadable.
	unreadable := billingtest.InvoicePaid("evt_unreadable", now, billingtest.Invoice{ID: "in_1", Customer: "cus_1", BillingReason: "subscription_cycle",
		PeriodStart: now, APIVersion: billingtest.Basil}).Body
	for _, tc := range []struct {
		name, signature, mentions string
		body                      []byte
	}{
		{"another secret", billingtest.Sign(payload, "whsec_someone_else_0123456789", now), "signing secret", payload},
		{"six minutes old", billingtest.Sign(payload, stackWebhookSecret, now.Add(-6*time.Minute)), "more than 5m0s old", payload},
		{"no header", "", "missing", payload},
		{"malformed header", "t=abc,v1=zz", "malformed", payload},
		{"body changed after signing", billingtest.Sign(payload, stackWebhookSecret, now), "signing secret", append([]byte(" "), payload...)},
		{"signed non-event", billingtest.Sign([]byte(`{"hello":"world"}`), stackWebhookSecret, now), "not a Stripe event", []byte(`{"hello":"world"}`)},
		{"signed non-JSON", billingtest.Sign([]byte("hello"), stackWebhookSecret, now), "invalid JSON", []byte("hello")},
		{"signed event of an unreadable shape", billingtest.Sign(unreadable, stackWebhookSecret, now), "cannot be read", unreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.webhook(tc.body, tc.signature)
			if r.status != http.StatusBadRequest || r.errorCode(t) != launchpad.EINVALID || !strings.Contains(string(r.body), tc.mentions) {
				t.Fatalf("answered %d: %s; want 400 invalid mentioning %q", r.status, r.body, tc.mentions)
			}
		})
	}
	if evs, err := s.store.ListStripeEvents(t.Context(), 100); err != nil || len(evs) != 0 {
		t.Fatalf("after refused deliveries the store holds %d events (%v)", len(evs), err)
	}
	if js, err := s.store.ListJobs(t.Context(), launchpad.JobFilter{}); err != nil || len(js) != 0 {
		t.Fatalf("after refused deliveries the store holds %d jobs (%v)", len(js), err)
	}
	counted := `launchpad_stripe_events_unreadable_total{api_version="` + billingtest.Basil + `",stage="webhook",type="invoice.paid"} 1`
	if m := s.do(http.MethodGet, "/metrics", "", nil, nil); !strings.Contains(string(m.body), counted) {
		t.Fatalf("/metrics lacks %s", counted)
	}

	// Signed with either secret of a roll, the delivery is recorded once.
	if s.deliver(payload) {
		t.Fatal("the first good delivery was called a duplicate")
	}
	r := s.webhook(payload, billingtest.Sign(payload, "whsec_old_0123456789abcdef", time.Now()))
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"duplicate":true`) {
		t.Fatalf("the same event signed with the previous secret: %s", r.body)
	}
	if evs, _ := s.store.ListStripeEvents(t.Context(), 100); len(evs) != 1 || evs[0].ID != "evt_1" {
		t.Fatalf("recorded events %v; want evt_1 once", evs)
	}
	// GET is not how Stripe delivers.
	if r := s.do(http.MethodGet, "/api/stripe/webhook", "", nil, nil); r.status != http.StatusMethodNotAllowed || r.errorCode(t) != httpjson.MethodNotAllowed {
		t.Fatalf("GET on the webhook: %d %s", r.status, r.body)
	}
	s.assertNoSecretsInLogs()
}
