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

// The billing page's reader asks the Stripe API (stripe-mock, which checks every request
// against Stripe's OpenAPI spec) in shapes it accepts — the price, one page of the customer's
// invoices, the customer with its default card expanded — and reads stripe-mock's fixtures
// back. A key Stripe refuses and a cancelled request are coded errors that never hold the key.
func TestAccountAPIReadsPriceInvoicesAndCardFromStripeMock(t *testing.T) {
	base := stacktest.StartStripeMock(t)
	api := billing.NewAccountAPI("sk_test_launchpad", base, nil)
	ctx := t.Context()

	p, err := api.Price(ctx, "price_launchpad_pro")
	if err != nil || p.UnitAmount <= 0 || p.Currency != "usd" || p.Interval != "month" {
		t.Fatalf("Price = %+v, %v; want stripe-mock's monthly price in usd", p, err)
	}
	invoices, err := api.Invoices(ctx, "cus_launchpad", 3)
	if err != nil || len(invoices) != 1 {
		t.Fatalf("Invoices = %+v, %v; want stripe-mock's one invoice", invoices, err)
	}
	if inv := invoices[0]; inv.AmountDue <= 0 || inv.Currency != "usd" || inv.Status == "" || inv.Created.IsZero() || inv.Created.Location() != time.UTC {
		t.Fatalf("invoice %+v: want its amount, currency, status and creation time (UTC)", inv)
	}
	card, err := api.PaymentMethod(ctx, "cus_launchpad")
	if err != nil || card.Brand != "visa" || card.Last4 != "4242" || card.ExpMonth < 1 || card.ExpMonth > 12 || card.ExpYear < 2000 {
		t.Fatalf("PaymentMethod = %+v, %v; want stripe-mock's expanded default card", card, err)
	}

	const refused = "not-a-stripe-key-0123456789"
	_, err = billing.NewAccountAPI(refused, base, nil).Invoices(ctx, "cus_launchpad", 3)
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || strings.Contains(err.Error(), refused[:8]) {
		t.Fatalf("a refused key: %v; want EUNAVAILABLE without the key", err)

	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := api.PaymentMethod(cancelled, "cus_launchpad"); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("a cancelled read: %v; want EUNAVAILABLE", err)
	}
}
