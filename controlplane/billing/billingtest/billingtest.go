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
// their APIVersion field names: stripe-go v76's (stripe.APIVersion, 2023-10-16) when it is
// empty, or Basil, Clover or any later one, whose objects have the shape Stripe's API
// reference gives from 2025-03-31.basil on (an invoice's subscription under parent, each
// line's proration under its parent, the billing period on the subscription's items). The
// event names the same version:
//
//	billingtest.InvoicePaid("evt_2", now, billingtest.Invoice{APIVersion: billingtest.Basil, …})
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

// API versions whose objects have the newer shape (see the package documentation). Basil is
// the first of them; Clover is a later one that keeps every field the control plane reads.
const (
	Basil  = "2025-03-31.basil"
	Clover = "2025-09-30.clover"
)

// Versions are the API versions the builders write, one of each shape and the newest: a test
// that runs a scenario in each of them shows the control plane reads every shape alike.
var Versions = []string{stripe.APIVersion, Basil, Clover}

// basilShaped reports whether objects of API version v have the newer shape.
func basilShaped(v string) bool { return v != "" && v >= Basil[:len("2025-03-31")] }

// NewEvent writes the event Stripe would send: the API version stripe-go pins, and object as
// data.object.
func NewEvent(id, typ string, created time.Time, object map[string]any) Event {
	return NewEventOfVersion(id, typ, "", created, object)
}

// NewEventOfVersion is NewEvent naming another API version ("": stripe-go's). The object is
// sent as given: its shape is the caller's.
func NewEventOfVersion(id, typ, version string, created time.Time, object map[string]any) Event {
	if version == "" {
		version = stripe.APIVersion
	}
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": version, "created": created.Unix(),
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
	// Name and AddressLine1 are customer_details.name and .address.line1 when set: the
	// personal data a stored payload holds until its retention ends.
	Name, AddressLine1 string
	// Metadata may carry the tenant overrides (product, region, image).
	Metadata map[string]string
	// APIVersion of the event ("": stripe-go's). What the control plane reads of a checkout
	// session is the same in every version.
	APIVersion string
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
	if c.Name != "" || c.AddressLine1 != "" {
		o["customer_details"] = map[string]any{"email": c.Email, "name": c.Name, "address": map[string]any{"line1": c.AddressLine1}}
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
	EndedAt time.Time
	// CancelAtPeriodEnd: the customer cancelled it, and it ends when the period does.
	CancelAtPeriodEnd bool
	Metadata          map[string]string
	// APIVersion of the event ("": stripe-go's). From Basil on the billing period is its
	// item's (items.data[].current_period_start/end), not its own.
	APIVersion string
}

// Object returns the subscription as data.object.
func (s Subscription) Object() map[string]any {
	start, end := s.PeriodStart.Unix(), s.PeriodStart.AddDate(0, 1, 0).Unix()
	item := map[string]any{
		"id": "si_" + s.ID, "object": "subscription_item", "subscription": s.ID, "quantity": 1,
		"price": map[string]any{"id": s.Price, "object": "price"},
	}
	o := map[string]any{
		"id": s.ID, "object": "subscription", "customer": s.Customer, "status": s.Status,
		"cancel_at_period_end": s.CancelAtPeriodEnd, "metadata": orEmpty(s.Metadata),
		"items": map[string]any{"object": "list", "data": []any{item}},
	}
	if basilShaped(s.APIVersion) {
		item["current_period_start"], item["current_period_end"] = start, end
	} else {
		o["current_period_start"], o["current_period_end"] = start, end
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
	// Proration: its line is a proration (of a plan change), not the period's charge.
	Proration bool
	// APIVersion of the event ("": stripe-go's). From Basil on the subscription is named in
	// parent.subscription_details, and the line's proration in its parent.
	APIVersion string
}

// Object returns the invoice as data.object, neither paid nor failed yet (InvoicePaid and
// InvoicePaymentFailed say which).
func (inv Invoice) Object() map[string]any {
	basil := basilShaped(inv.APIVersion)
	lines := []any{}
	o := map[string]any{
		"id": inv.ID, "object": "invoice", "customer": inv.Customer, "billing_reason": inv.BillingReason,
	}
	switch {
	case !basil:
		o["subscription"] = inv.Subscription
	case inv.Subscription != "":
		o["parent"] = map[string]any{
			"type": "subscription_details", "quote_details": nil,
			"subscription_details": map[string]any{"metadata": map[string]string{}, "subscription": inv.Subscription, "subscription_proration_date": nil},
		}
	default:
		o["parent"] = nil // an invoice no subscription or quote generated
	}
	if !inv.PeriodStart.IsZero() {
		start, end := inv.PeriodStart.Unix(), inv.PeriodStart.AddDate(0, 1, 0).Unix()
		o["period_start"], o["period_end"] = start, end
		line := map[string]any{
			"id": "il_" + inv.ID, "object": "line_item", "invoice": inv.ID,
			"period": map[string]any{"start": start, "end": end},
		}
		if basil {
			line["parent"] = map[string]any{
				"type": "subscription_item_details", "invoice_item_details": nil,
				"subscription_item_details": map[string]any{
					"invoice_item": nil, "proration": inv.Proration, "proration_details": map[string]any{"credited_items": nil},
					"subscription": inv.Subscription, "subscription_item": "si_" + inv.Subscription,
				},
			}
		} else {
			line["type"], line["proration"], line["subscription"] = "subscription", inv.Proration, inv.Subscription
		}
		lines = append(lines, line)
	}
	o["lines"] = map[string]any{"object": "list", "data": lines}
	return o
}

// CheckoutCompleted is checkout.session.completed: the customer paid at checkout.
func CheckoutCompleted(id string, created time.Time, c Checkout) Event {
	return NewEventOfVersion(id, string(stripe.EventTypeCheckoutSessionCompleted), c.APIVersion, created, c.Object())
}

// SubscriptionCreated is customer.subscription.created.
func SubscriptionCreated(id string, created time.Time, s Subscription) Event {
	return NewEventOfVersion(id, string(stripe.EventTypeCustomerSubscriptionCreated), s.APIVersion, created, s.Object())
}

// SubscriptionUpdated is customer.subscription.updated: a plan change, a renewal, a status
// change.
func SubscriptionUpdated(id string, created time.Time, s Subscription) Event {
	return NewEventOfVersion(id, string(stripe.EventTypeCustomerSubscriptionUpdated), s.APIVersion, created, s.Object())
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
	return NewEventOfVersion(id, string(stripe.EventTypeCustomerSubscriptionDeleted), s.APIVersion, created, s.Object())
}

// InvoicePaid is invoice.paid: the invoice is paid.
func InvoicePaid(id string, created time.Time, inv Invoice) Event {
	o := inv.Object()
	o["status"] = "paid"
	if !basilShaped(inv.APIVersion) {
		o["paid"] = true // basil removed it: status says
	}
	return NewEventOfVersion(id, string(stripe.EventTypeInvoicePaid), inv.APIVersion, created, o)
}

// InvoicePaymentFailed is invoice.payment_failed: a payment of the invoice failed, and it is
// still open.
func InvoicePaymentFailed(id string, created time.Time, inv Invoice) Event {
	o := inv.Object()
	o["status"] = "open"
	if !basilShaped(inv.APIVersion) {
		o["paid"] = false
	}
	return NewEventOfVersion(id, string(stripe.EventTypeInvoicePaymentFailed), inv.APIVersion, created, o)
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
