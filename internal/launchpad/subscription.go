package launchpad

import "time"

// Subscription mirrors the user's Stripe subscription. Stripe is the source of truth; the
// store keeps the newest state it has seen, and never moves backwards (see
// Subscription.Newer).
type Subscription struct {
	StripeCustomerID     string
	StripeSubscriptionID string
	Status               string // Stripe's status: one of the Status* constants
	PriceID              string
	Plan                 string // the launchpad_plan whose stripe_price_id is PriceID
	CurrentPeriodStart   time.Time
	CurrentPeriodEnd     time.Time
	CancelAtPeriodEnd    bool
	CanceledAt           time.Time
	PastDueSince         time.Time
	// EventCreated is the `created` time of the Stripe event that last changed this record;
	// an event older than it is ignored.
	EventCreated time.Time
	// Metadata carries per-customer overrides from checkout (product, region, image).
	Metadata map[string]string
}

// Newer reports whether an event created at eventCreated may replace s: it must not be older
// than the event that produced s. Equal times are accepted so that a replay of the same event
// is harmless (it carries the same data).
func (s Subscription) Newer(eventCreated time.Time) bool {
	return !eventCreated.Before(s.EventCreated)
}

// Stripe subscription statuses (Stripe's own names).
const (
	StatusActive            = "active"
	StatusTrialing          = "trialing"
	StatusPastDue           = "past_due"
	StatusUnpaid            = "unpaid"
	StatusPaused            = "paused"
	StatusCanceled          = "canceled"
	StatusIncomplete        = "incomplete"
	StatusIncompleteExpired = "incomplete_expired"
)

// SubscriptionEnded reports whether a subscription with this status is over for good: Stripe
// never reopens a canceled or expired subscription (a customer who comes back gets a new one).
func SubscriptionEnded(status string) bool {
	return status == StatusCanceled || status == StatusIncompleteExpired
}

// SubscriptionRunning reports whether a subscription with this status entitles the customer
// to a tenant on its plan: active, trialing, or past due within the grace period (see
// OverdueAt).
func SubscriptionRunning(status string) bool {
	return status == StatusActive || status == StatusTrialing || status == StatusPastDue
}

// DefaultPastDueGrace is how long a past-due subscription keeps its tenant before it lapses
// (LAUNCHPAD_PAST_DUE_GRACE): billing's lapse and the metering loop's suspension share it.
const DefaultPastDueGrace = 72 * time.Hour

// OverdueAt returns when a past-due (or unpaid) subscription's grace runs out: PastDueSince
// (or, unknown, the time of the event that made it so) plus grace. Zero for a subscription
// that is not past due. Billing's lapse and the metering loop's suspension both use it, so
// they agree on the moment.
func (s Subscription) OverdueAt(grace time.Duration) time.Time {
	if s.Status != StatusPastDue && s.Status != StatusUnpaid {
		return time.Time{}
	}
	since := s.PastDueSince
	if since.IsZero() {
		since = s.EventCreated
	}
	if since.IsZero() {
		return time.Time{}
	}
	return since.Add(grace)
}
