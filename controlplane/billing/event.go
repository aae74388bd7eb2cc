package billing

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Stripe event types the processor acts on, as stripe-go names them.
const (
	EventCheckoutCompleted   = string(stripe.EventTypeCheckoutSessionCompleted)
	EventSubscriptionCreated = string(stripe.EventTypeCustomerSubscriptionCreated)
	EventSubscriptionUpdated = string(stripe.EventTypeCustomerSubscriptionUpdated)
	EventSubscriptionDeleted = string(stripe.EventTypeCustomerSubscriptionDeleted)
	EventSubscriptionPaused  = string(stripe.EventTypeCustomerSubscriptionPaused)
	EventSubscriptionResumed = string(stripe.EventTypeCustomerSubscriptionResumed)
	EventInvoicePaid         = string(stripe.EventTypeInvoicePaid)
	EventInvoicePaymentFail  = string(stripe.EventTypeInvoicePaymentFailed)
)

// eventKinds is the one table of the Stripe event types the control plane acts on, read by
// both halves: the webhook records an event of one of these types together with its
// processing job (Handled), and HandleEvent processes it with the handler given here. So a
// type is enqueued exactly when it has a handler. Every other verified event is recorded (so
// a replay is still recognised) and marked processed at once.
var eventKinds = map[string]eventKind{
	EventCheckoutCompleted:   {handle: (*Processor).checkoutCompleted, read: checkoutReadable, linksCustomer: true},
	EventSubscriptionCreated: {handle: (*Processor).subscriptionChanged, read: subscriptionReadable},
	EventSubscriptionUpdated: {handle: (*Processor).subscriptionChanged, read: subscriptionReadable},
	EventSubscriptionDeleted: {handle: (*Processor).subscriptionChanged, read: subscriptionReadable},
	EventSubscriptionPaused:  {handle: (*Processor).subscriptionChanged, read: subscriptionReadable},
	EventSubscriptionResumed: {handle: (*Processor).subscriptionChanged, read: subscriptionReadable},
	EventInvoicePaid:         {handle: (*Processor).invoiceEvent, read: invoiceReadable},
	EventInvoicePaymentFail:  {handle: (*Processor).invoiceEvent, read: invoiceReadable},
}

// eventKind is how the processor handles one event type.
type eventKind struct {
	// handle applies the event (created: when Stripe created it) to the user it is about.
	handle func(p *Processor, ctx context.Context, log *slog.Logger, ev stripe.Event, created time.Time) error
	// read checks that data.object has a shape the handler can read (an unreadableError
	// when not), so that the webhook refuses the delivery instead of recording an event the
	// processor could only fail.
	read func(object json.RawMessage) error
	// linksCustomer: once handled, the event has linked its Stripe customer to a user, so the
	// customer's events that waited for that link are replayed (replayWaiting).
	linksCustomer bool
}

func checkoutReadable(o json.RawMessage) error     { _, err := readCheckout(o); return err }
func subscriptionReadable(o json.RawMessage) error { _, err := readSubscription(o, false); return err }
func invoiceReadable(o json.RawMessage) error      { _, err := readInvoice(o); return err }

// Handled reports whether the processor acts on events of type t (whether the webhook
// enqueues a processing job for them).
func Handled(t string) bool {
	_, ok := eventKinds[t]
	return ok
}

// HandledTypes returns the event types the processor acts on, sorted: the ones a Stripe
// webhook endpoint needs to send.
func HandledTypes() []string {
	return slices.Sorted(maps.Keys(eventKinds))
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
	return &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: launchpad.StripeCustomerJobKey(key), Payload: payload, MaxAttempts: maxAttempts}
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
