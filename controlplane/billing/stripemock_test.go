package billing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestWithAnAPIKeyTheSubscriptionIsFetchedNotTakenFromThePayload(t *testing.T) {
	base := stacktest.StartStripeMock(t)
	api := billing.NewStripeAPI("sk_test_launchpad", base, nil)
	ctx := context.Background()

	// stripe-mock answers with its fixture subscription under the id asked for.
	fixture, err := api.GetSubscription(ctx, "sub_mocked")
	if err != nil {
		t.Fatalf("GetSubscription from stripe-mock: %v", err)
	}
	if fixture.ID != "sub_mocked" || fixture.Items == nil || len(fixture.Items.Data) == 0 || fixture.Items.Data[0].Price == nil {
		t.Fatalf("stripe-mock's subscription has no item price: %+v", fixture)
	}
	price := fixture.Items.Data[0].Price.ID

	w := newWorld(t, api)
	if err := w.store.CreatePlan(ctx, &launchpad.Plan{Name: "mocked", StripePriceID: price, MonthlySpendLimitUSD: 20, VolumeSizeGB: 10,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}}); err != nil {
		t.Fatalf("a plan for stripe-mock's price %q: %v", price, err)
	}
	w.createUser(t, "u1", "alice@example.com")

	// The checkout alone is enough: the processor fetches the subscription it names.
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_mocked"}))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Plan != "mocked" || u.Subscription.Status != string(fixture.Status) || u.Subscription.PriceID != price {
		t.Fatalf("after checkout: plan %q, subscription %+v; want Stripe's (stripe-mock's) state: plan mocked, status %s", u.Plan, u.Subscription, fixture.Status)
	}

	// An event whose copy says canceled on another price: Stripe says otherwise, and wins.
	w.deliver(t, billingtest.SubscriptionUpdated("evt_updated", at(time.Minute), billingtest.Subscription{ID: "sub_mocked", Customer: "cus_1", Status: "canceled", Price: "price_Starter", PeriodStart: t0}))
	w.drainOK(t)
	u = getUser(t, w.store, "u1")
	if u.Plan != "mocked" || u.Subscription.Status != string(fixture.Status) {
		t.Fatalf("after an event whose payload disagrees with Stripe: plan %q, status %q; want Stripe's state kept", u.Plan, u.Subscription.Status)
	}
	if got := w.applies(t, "u1"); len(got) != 1 || got[0].Plan != "mocked" {
		t.Fatalf("apply jobs %+v; want one for the fetched plan", got)
	}
}

// TestCancelSubscriptionOnStripeMock cancels through stripe-go against stripe-mock, which
// checks the request against Stripe's OpenAPI spec; an unreachable API is EUNAVAILABLE with a
// message that holds no key.
func TestCancelSubscriptionOnStripeMock(t *testing.T) {
	const key = "sk_test_launchpad"
	base := stacktest.StartStripeMock(t)
	if err := billing.NewStripeAPI(key, base, nil).CancelSubscription(t.Context(), "sub_mocked"); err != nil {
		t.Fatalf("CancelSubscription on stripe-mock: %v", err)
	}
	env := billing.Env{APIKey: key, APIBase: "http://127.0.0.1:1"}
	err := env.Canceller().CancelSubscription(t.Context(), "sub_mocked")
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || strings.Contains(err.Error(), key) {
		t.Fatalf("cancelling with Stripe unreachable: %v; want EUNAVAILABLE without the key", err)
	}
	if (billing.Env{}).Canceller() != nil {
		t.Fatal("a canceller without STRIPE_API_KEY")
	}
}
