package billingtest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// TestEventsVerifyAsStripeWould signs an event as a delivery does and verifies it with
// stripe-go, as the control plane's webhook does; another secret or an old signature fails.
func TestEventsVerifyAsStripeWould(t *testing.T) {
	now := time.Now()
	ev := SubscriptionDeleted("evt_1", now.Add(-time.Hour), Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_Pro", PeriodStart: now.Truncate(24 * time.Hour)})
	got, err := webhook.ConstructEvent(ev.Body, ev.Signature("whsec_a", now), "whsec_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "evt_1" || string(got.Type) != "customer.subscription.deleted" || got.Created != now.Add(-time.Hour).Unix() ||
		!strings.Contains(string(got.Data.Raw), `"ended_at"`) {
		t.Fatalf("verified event %+v", got)
	}
	if _, err := webhook.ConstructEvent(ev.Body, ev.Signature("whsec_b", now), "whsec_a"); err == nil {
		t.Fatal("another secret's signature verified")
	}
	if _, err := webhook.ConstructEvent(ev.Body, ev.Signature("whsec_a", now.Add(-10*time.Minute)), "whsec_a"); err == nil {
		t.Fatal("a ten-minute-old signature verified")
	}
	if _, err := webhook.ConstructEvent([]byte("not an event"), Sign([]byte("not an event"), "whsec_a", now), "whsec_a"); err == nil || strings.Contains(err.Error(), "signature") {
		t.Fatalf("Sign of any bytes: %v; want a valid signature of a body that is not an event", err)
	}
}

// TestObjectsReadAsStripeGoReadsThem decodes each builder's data.object into stripe-go's
// types, as the control plane's processor does, and checks what it reads.
func TestObjectsReadAsStripeGoReadsThem(t *testing.T) {
	created := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	period := created.Truncate(24 * time.Hour)
	object := func(ev Event, v any) {
		t.Helper()
		var e stripe.Event
		if err := json.Unmarshal(ev.Body, &e); err != nil {
			t.Fatal(err)
		}
		if e.APIVersion != stripe.APIVersion || string(e.Type) != ev.Type || e.Created != created.Unix() {
			t.Fatalf("%s: envelope %+v", ev.Type, e)
		}
		if err := json.Unmarshal(e.Data.Raw, v); err != nil {
			t.Fatalf("%s: data.object: %v", ev.Type, err)
		}
	}

	var cs stripe.CheckoutSession
	object(CheckoutCompleted("evt_c", created, Checkout{ID: "cs_1", Customer: "cus_1", Subscription: "sub_1", UserID: "u1", Email: "a@example.com",
		Metadata: map[string]string{"region": "ams"}}), &cs)
	if cs.ID != "cs_1" || cs.Customer.ID != "cus_1" || cs.Subscription.ID != "sub_1" || cs.ClientReferenceID != "u1" ||
		cs.CustomerDetails.Email != "a@example.com" || cs.Metadata["region"] != "ams" {
		t.Fatalf("checkout.session %+v", cs)
	}

	for _, build := range []func(string, time.Time, Subscription) Event{SubscriptionCreated, SubscriptionUpdated} {
		var s stripe.Subscription
		object(build("evt_s", created, Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: period}), &s)
		if s.ID != "sub_1" || s.Customer.ID != "cus_1" || s.Status != "active" || s.Items.Data[0].Price.ID != "price_Pro" ||
			s.CurrentPeriodStart != period.Unix() || s.CurrentPeriodEnd != period.AddDate(0, 1, 0).Unix() || s.EndedAt != 0 {
			t.Fatalf("subscription %+v", s)
		}
	}
	var deleted stripe.Subscription
	object(SubscriptionDeleted("evt_d", created, Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_Pro", PeriodStart: period}), &deleted)
	if deleted.Status != stripe.SubscriptionStatusCanceled || deleted.EndedAt != created.Unix() || deleted.CanceledAt != created.Unix() {
		t.Fatalf("deleted subscription: status %s, ended %d, canceled %d; want canceled when the event was created", deleted.Status, deleted.EndedAt, deleted.CanceledAt)
	}

	inv := Invoice{ID: "in_1", Customer: "cus_1", Subscription: "sub_1", BillingReason: "subscription_cycle", PeriodStart: period}
	var paid, failed stripe.Invoice
	object(InvoicePaid("evt_p", created, inv), &paid)
	object(InvoicePaymentFailed("evt_f", created, inv), &failed)
	for _, i := range []stripe.Invoice{paid, failed} {
		if i.ID != "in_1" || i.Customer.ID != "cus_1" || i.Subscription.ID != "sub_1" || i.BillingReason != "subscription_cycle" ||
			len(i.Lines.Data) != 1 || i.Lines.Data[0].Type != "subscription" || i.Lines.Data[0].Period.Start != period.Unix() {
			t.Fatalf("invoice %+v", i)
		}
	}
	if !paid.Paid || paid.Status != "paid" || failed.Paid || failed.Status != "open" {
		t.Fatalf("paid invoice %v %s, failed one %v %s", paid.Paid, paid.Status, failed.Paid, failed.Status)
	}
	var lineless stripe.Invoice
	object(InvoicePaid("evt_m", created, Invoice{ID: "in_2", Customer: "cus_1", Subscription: "sub_1", BillingReason: "manual"}), &lineless)
	if len(lineless.Lines.Data) != 0 || lineless.PeriodStart != 0 {
		t.Fatalf("an invoice without a period has lines %+v", lineless.Lines.Data)
	}
}

// TestNewerVersionsWriteTheNewerShape checks the objects of Basil and later against what
// Stripe's API reference gives from 2025-03-31.basil on: the invoice's subscription under
// parent.subscription_details, each line's proration under its parent with no type, and the
// billing period on the subscription's item only. Older versions keep the older shape.
func TestNewerVersionsWriteTheNewerShape(t *testing.T) {
	created := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	period := created.Truncate(24 * time.Hour)
	type line struct {
		Type      *string `json:"type"`
		Proration *bool   `json:"proration"`
		Parent    *struct {
			Type                    string `json:"type"`
			SubscriptionItemDetails struct {
				Proration    bool   `json:"proration"`
				Subscription string `json:"subscription"`
			} `json:"subscription_item_details"`
		} `json:"parent"`
	}
	type shape struct {
		APIVersion string `json:"api_version"`
		Data       struct {
			Object struct {
				Subscription *string `json:"subscription"`
				Paid         *bool   `json:"paid"`
				Parent       *struct {
					Type                string `json:"type"`
					SubscriptionDetails struct {
						Subscription string `json:"subscription"`
					} `json:"subscription_details"`
				} `json:"parent"`
				Lines struct {
					Data []line `json:"data"`
				} `json:"lines"`
				CurrentPeriodStart *int64 `json:"current_period_start"`
				Items              struct {
					Data []struct {
						CurrentPeriodStart *int64 `json:"current_period_start"`
						CurrentPeriodEnd   *int64 `json:"current_period_end"`
					} `json:"data"`
				} `json:"items"`
			} `json:"object"`
		} `json:"data"`
	}
	read := func(ev Event) shape {
		t.Helper()
		var s shape
		if err := json.Unmarshal(ev.Body, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, v := range Versions {
		newer := v != stripe.APIVersion
		inv := read(InvoicePaid("evt_p", created, Invoice{ID: "in_1", Customer: "cus_1", Subscription: "sub_1", BillingReason: "subscription_update", PeriodStart: period, Proration: true, APIVersion: v})).Data.Object
		sub := read(SubscriptionUpdated("evt_s", created, Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: period, APIVersion: v}))
		if sub.APIVersion != v {
			t.Fatalf("%s: the event names API version %s", v, sub.APIVersion)
		}
		it, l := sub.Data.Object.Items.Data[0], inv.Lines.Data[0]
		if newer {
			if inv.Subscription != nil || inv.Paid != nil || inv.Parent == nil || inv.Parent.Type != "subscription_details" || inv.Parent.SubscriptionDetails.Subscription != "sub_1" {
				t.Errorf("%s invoice: subscription %v, paid %v, parent %+v; want only parent.subscription_details.subscription", v, inv.Subscription, inv.Paid, inv.Parent)
			}
			if l.Type != nil || l.Proration != nil || l.Parent == nil || l.Parent.Type != "subscription_item_details" || !l.Parent.SubscriptionItemDetails.Proration {
				t.Errorf("%s line: type %v, proration %v, parent %+v; want the proration under parent.subscription_item_details", v, l.Type, l.Proration, l.Parent)
			}
			if sub.Data.Object.CurrentPeriodStart != nil || it.CurrentPeriodStart == nil || *it.CurrentPeriodStart != period.Unix() || *it.CurrentPeriodEnd != period.AddDate(0, 1, 0).Unix() {
				t.Errorf("%s subscription: own period %v, item's %v; want the item's only", v, sub.Data.Object.CurrentPeriodStart, it.CurrentPeriodStart)
			}
			continue
		}
		if inv.Subscription == nil || *inv.Subscription != "sub_1" || inv.Parent != nil || l.Type == nil || *l.Type != "subscription" || l.Proration == nil || !*l.Proration {
			t.Errorf("%s invoice: subscription %v, parent %+v, line %+v; want the older shape", v, inv.Subscription, inv.Parent, l)
		}
		if sub.Data.Object.CurrentPeriodStart == nil || it.CurrentPeriodStart != nil {
			t.Errorf("%s subscription: own period %v, item's %v; want its own only", v, sub.Data.Object.CurrentPeriodStart, it.CurrentPeriodStart)
		}
	}
}
