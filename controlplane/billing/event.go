package billing

import (
	"encoding/json"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Stripe event types the processor acts on. Every other verified event is recorded (so a
// replay is still recognised) and marked processed at once.
const (
	EventCheckoutCompleted   = "checkout.session.completed"
	EventSubscriptionCreated = "customer.subscription.created"
	EventSubscriptionUpdated = "customer.subscription.updated"
	EventSubscriptionDeleted = "customer.subscription.deleted"
	EventSubscriptionPaused  = "customer.subscription.paused"
	EventSubscriptionResumed = "customer.subscription.resumed"
	EventInvoicePaid         = "invoice.paid"
	EventInvoicePaymentFail  = "invoice.payment_failed"
)

// Handled reports whether the processor acts on events of type t.
func Handled(t string) bool {
	switch t {
	case EventCheckoutCompleted, EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionDeleted,
		EventSubscriptionPaused, EventSubscriptionResumed, EventInvoicePaid, EventInvoicePaymentFail:
		return true
	}
	return false
}

// eventJobPayload is the payload of a launchpad.JobStripeEvent job: the recorded event.
type eventJobPayload struct {
	EventID string `json:"event_id"`
}

// StripeEventJob returns the job that processes a recorded event. Its key is the Stripe
// customer, so one customer's events are processed one at a time (the event id when the
// event names no customer). Re-processing an event is enqueueing this job again.
func StripeEventJob(eventID, customer string, maxAttempts int) *launchpad.Job {
	key := customer
	if key == "" {
		key = eventID
	}
	payload, _ := json.Marshal(eventJobPayload{EventID: eventID})
	return &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: "stripe:" + key, Payload: payload, MaxAttempts: maxAttempts}
}

// eventCustomer returns the Stripe customer id of an event's data.object ("customer" as an id
// or an expanded object), or "".
func eventCustomer(object json.RawMessage) string {
	var o struct {
		Customer json.RawMessage `json:"customer"`
	}
	if json.Unmarshal(object, &o) != nil || len(o.Customer) == 0 {
		return ""
	}
	var id string
	if json.Unmarshal(o.Customer, &id) == nil {
		return id
	}
	var expanded struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(o.Customer, &expanded) == nil {
		return expanded.ID
	}
	return ""
}
