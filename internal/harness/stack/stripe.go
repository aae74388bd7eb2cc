package stack

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

// NewEvent writes the event Stripe would send: id evt_…, the API version stripe-go pins, and
// object as data.object.
func NewEvent(id, typ string, created time.Time, object map[string]any) Event {
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripe.APIVersion, "created": created.Unix(),
		"type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err) // maps of strings, numbers and maps always marshal
	}
	return Event{ID: id, Type: typ, Created: created, Body: body}
}

// Signature is the Stripe-Signature header of a delivery at the given time
// (webhook.GenerateTestSignedPayload, as Stripe computes it).
func (e Event) Signature(secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: e.Body, Secret: secret, Timestamp: at}).Header
}

// CheckoutObject is a completed subscription checkout.session: customer paid for
// subscription. userID (client_reference_id) may be empty: the control plane then finds, or
// creates, the user by email.
func CheckoutObject(session, customer, subscription, userID, email string) map[string]any {
	obj := map[string]any{
		"id": session, "object": "checkout.session", "mode": "subscription", "customer": customer,
		"subscription": subscription, "customer_details": map[string]any{"email": email},
		"metadata": map[string]string{},
	}
	if userID != "" {
		obj["client_reference_id"] = userID
	}
	return obj
}

// SubscriptionObject is a subscription of customer on one price, in its billing period
// starting at period; a canceled one ended at ended.
func SubscriptionObject(id, customer, status, price string, period, ended time.Time) map[string]any {
	obj := map[string]any{
		"id": id, "object": "subscription", "customer": customer, "status": status,
		"current_period_start": period.Unix(), "current_period_end": period.AddDate(0, 1, 0).Unix(),
		"cancel_at_period_end": false, "metadata": map[string]string{},
		"items": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "si_" + id, "object": "subscription_item", "price": map[string]any{"id": price, "object": "price"},
		}}},
	}
	if status == "canceled" {
		obj["ended_at"], obj["canceled_at"] = ended.Unix(), ended.Unix()
	}
	return obj
}

// InvoiceObject is a subscription invoice of customer for the period starting at period:
// paid, or open after a failed payment. reason is its billing_reason (subscription_create,
// subscription_cycle).
func InvoiceObject(id, customer, subscription, reason string, paid bool, period time.Time) map[string]any {
	status := "open"
	if paid {
		status = "paid"
	}
	return map[string]any{
		"id": id, "object": "invoice", "customer": customer, "subscription": subscription,
		"status": status, "paid": paid, "billing_reason": reason,
		"period_start": period.Unix(), "period_end": period.AddDate(0, 1, 0).Unix(),
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "il_" + id, "object": "line_item", "type": "subscription",
			"period": map[string]any{"start": period.Unix(), "end": period.AddDate(0, 1, 0).Unix()},
		}}},
	}
}
