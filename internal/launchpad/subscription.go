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

// DefaultVolumeRetention is how long a lapsed subscription's tenant, and so its volume, is
// kept before it is destroyed (LAUNCHPAD_VOLUME_RETENTION).
const DefaultVolumeRetention = 7 * 24 * time.Hour

// Lapse returns when s lapsed or will lapse (zero if it is not lapsing) and when its tenant is
// to be destroyed:
//   - canceled or incomplete_expired: lapsed when it ended;
//   - past_due or unpaid: lapses grace after the first failed payment;
//   - paused: lapsed when it was paused.
//
// The tenant, and its volume, are destroyed retention after the lapse. Billing's destroy
// timer and the account overview's deletion date both use it, so they name the same day.
func (s Subscription) Lapse(grace, retention time.Duration) (lapse, destroyAt time.Time) {
	switch s.Status {
	case StatusCanceled, StatusIncompleteExpired:
		lapse = s.CanceledAt
	case StatusPastDue, StatusUnpaid:
		lapse = s.OverdueAt(grace)
	case StatusPaused:
		lapse = s.EventCreated
	default:
		return time.Time{}, time.Time{}
	}
	if lapse.IsZero() {
		lapse = s.EventCreated
	}
	return lapse, lapse.Add(retention)
}
