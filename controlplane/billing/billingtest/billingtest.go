// Package billingtest writes Stripe webhook events as Stripe sends them, and signs them as
// Stripe signs each delivery (stripe-go's webhook.GenerateTestSignedPayload), for the tests
// of the control plane and for internal/harness (the stack, the demo, chaos, the
// benchmarks). The product never imports it.
//
// An event is built from a typed object — Checkout, Subscription, Invoice — whose zero fields
// are left out, by the builder of its type (CheckoutCompleted, SubscriptionUpdated,
// InvoicePaid, …), or from any data.object with NewEvent:
//
//	ev := billingtest.SubscriptionUpdated("evt_1", now, billingtest.Subscription{
//		ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: period,
//	})
//	req.Header.Set("Stripe-Signature", ev.Signature(secret, time.Now()))
//
// The objects carry what the control plane reads of them, in the shape of the API version
// stripe-go v76 pins (stripe.APIVersion); the events name that version.
package billingtest

import (
	"encoding/json"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Event is one Stripe event as Stripe's webhook delivers it: the body, signed at each
// delivery (Signature) with the endpoint's secret.
type Event struct {
	ID, Type string
	Created  time.Time
	Body     []byte
}

// NewEvent writes the event Stripe would send: the API version stripe-go pins, and object as
// data.object.
func NewEvent(id, typ string, created time.Time, object map[string]any) Event {
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripe.APIVersion, "created": created.Unix(),
		"type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err) // maps of strings, numbers, booleans and maps always marshal
	}
	return Event{ID: id, Type: typ, Created: created, Body: body}
}

// Signature is the Stripe-Signature header of a delivery of the event at the given time.
func (e Event) Signature(secret string, at time.Time) string {
	return Sign(e.Body, secret, at)
}

// Sign returns the Stripe-Signature header Stripe would send with payload, signed with the
// endpoint's secret at the given time — for any bytes, an event or not.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// Checkout is a completed subscription checkout.session: Customer paid for Subscription.
type Checkout struct {
	ID, Customer, Subscription string
	// UserID is the client_reference_id (the signed-in user's id); empty for a payment link:
	// the control plane then finds, or creates, the user by Email.
	UserID string
	Email  string // customer_details.email
	// Metadata may carry the tenant overrides (product, region, image).
	Metadata map[string]string
}

// Object returns the checkout.session as data.object.
func (c Checkout) Object() map[string]any {
	o := map[string]any{
		"id": c.ID, "object": "checkout.session", "mode": "subscription", "customer": c.Customer,
		"subscription": c.Subscription, "customer_details": map[string]any{"email": c.Email},
		"metadata": orEmpty(c.Metadata),
	}
	if c.UserID != "" {
		o["client_reference_id"] = c.UserID
	}
	return o
}

// Subscription is a subscription of Customer on one price.
type Subscription struct {
	ID, Customer string
	Status       string // active, past_due, canceled, …
	Price        string // the price of its one item
	// PeriodStart starts its current billing period, which lasts a month.
	PeriodStart time.Time
	// EndedAt, when set, is its ended_at and canceled_at (a canceled subscription).
	EndedAt  time.Time
	Metadata map[string]string
}

// Object returns the subscription as data.object.
func (s Subscription) Object() map[string]any {
	o := map[string]any{
		"id": s.ID, "object": "subscription", "customer": s.Customer, "status": s.Status,
		"current_period_start": s.PeriodStart.Unix(), "current_period_end": s.PeriodStart.AddDate(0, 1, 0).Unix(),
		"cancel_at_period_end": false, "metadata": orEmpty(s.Metadata),
		"items": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "si_" + s.ID, "object": "subscription_item", "price": map[string]any{"id": s.Price, "object": "price"},
		}}},
	}
	if !s.EndedAt.IsZero() {
		o["ended_at"], o["canceled_at"] = s.EndedAt.Unix(), s.EndedAt.Unix()
	}
	return o
}

// Invoice is an invoice of Customer for Subscription.
type Invoice struct {
	ID, Customer, Subscription string
	// BillingReason: subscription_create (the first period), subscription_cycle (a renewal),
	// subscription_update (a proration), manual.
	BillingReason string
	// PeriodStart starts the month its one subscription line bills; zero: no lines.
	PeriodStart time.Time
}

// Object returns the invoice as data.object, neither paid nor failed yet (InvoicePaid and
// InvoicePaymentFailed say which).
func (inv Invoice) Object() map[string]any {
	lines := []any{}
	o := map[string]any{
		"id": inv.ID, "object": "invoice", "customer": inv.Customer, "subscription": inv.Subscription,
		"billing_reason": inv.BillingReason,
	}
	if !inv.PeriodStart.IsZero() {
		start, end := inv.PeriodStart.Unix(), inv.PeriodStart.AddDate(0, 1, 0).Unix()
		o["period_start"], o["period_end"] = start, end
		lines = append(lines, map[string]any{
			"id": "il_" + inv.ID, "object": "line_item", "type": "subscription", "proration": false,
			"period": map[string]any{"start": start, "end": end},
		})
	}
	o["lines"] = map[string]any{"object": "list", "data": lines}
	return o
}

// CheckoutCompleted is checkout.session.completed: the customer paid at checkout.
func CheckoutCompleted(id string, created time.Time, c Checkout) Event {
	return NewEvent(id, string(stripe.EventTypeCheckoutSessionCompleted), created, c.Object())
}

// SubscriptionCreated is customer.subscription.created.
func SubscriptionCreated(id string, created time.Time, s Subscription) Event {
	return NewEvent(id, string(stripe.EventTypeCustomerSubscriptionCreated), created, s.Object())
}

// SubscriptionUpdated is customer.subscription.updated: a plan change, a renewal, a status
// change.
func SubscriptionUpdated(id string, created time.Time, s Subscription) Event {
	return NewEvent(id, string(stripe.EventTypeCustomerSubscriptionUpdated), created, s.Object())
}

// SubscriptionDeleted is customer.subscription.deleted: the subscription ended. As Stripe
// sends it, its status is canceled and it ended when the event was created, unless s says
// otherwise.
func SubscriptionDeleted(id string, created time.Time, s Subscription) Event {
	if s.Status == "" {
		s.Status = string(stripe.SubscriptionStatusCanceled)
	}
	if s.EndedAt.IsZero() {
		s.EndedAt = created
	}
	return NewEvent(id, string(stripe.EventTypeCustomerSubscriptionDeleted), created, s.Object())
}

// InvoicePaid is invoice.paid: the invoice is paid.
func InvoicePaid(id string, created time.Time, inv Invoice) Event {
	o := inv.Object()
	o["status"], o["paid"] = "paid", true
	return NewEvent(id, string(stripe.EventTypeInvoicePaid), created, o)
}

// InvoicePaymentFailed is invoice.payment_failed: a payment of the invoice failed, and it is
// still open.
func InvoicePaymentFailed(id string, created time.Time, inv Invoice) Event {
	o := inv.Object()
	o["status"], o["paid"] = "open", false
	return NewEvent(id, string(stripe.EventTypeInvoicePaymentFailed), created, o)
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
