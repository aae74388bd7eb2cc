package billing

import (
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// subSnapshot is what the processor reads of a Stripe subscription object.
type subSnapshot struct {
	ID                string
	Customer          string
	Status            string
	PriceID           string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	CancelAtPeriodEnd bool
	EndedAt           time.Time // ended_at, or canceled_at, for an ended subscription
	Metadata          map[string]string
	Fetched           bool // read from the Stripe API just now, not from the event
}

// snapshotOf reads a subscription from stripe-go's decoding (the shape before basil) and
// basil's item periods of the same object (readSubscription). The period is the
// subscription's own when it has one, else that of the item whose price is the plan's (the
// first item with a price), else the first item's with a period.
func snapshotOf(s *stripe.Subscription, basil *basilSubscription, fetched bool) subSnapshot {
	snap := subSnapshot{
		ID:                s.ID,
		Status:            string(s.Status),
		PeriodStart:       unix(s.CurrentPeriodStart),
		PeriodEnd:         unix(s.CurrentPeriodEnd),
		CancelAtPeriodEnd: s.CancelAtPeriodEnd,
		Metadata:          s.Metadata,
		Fetched:           fetched,
	}
	if s.Customer != nil {
		snap.Customer = s.Customer.ID
	}
	priced := -1
	if s.Items != nil {
		for i, it := range s.Items.Data {
			if it != nil && it.Price != nil && it.Price.ID != "" {
				snap.PriceID, priced = it.Price.ID, i
				break
			}
		}
	}
	if snap.PeriodStart.IsZero() && basil != nil && basil.Items != nil {
		items := basil.Items.Data
		if priced >= 0 && priced < len(items) && items[priced].CurrentPeriodStart > 0 {
			snap.PeriodStart, snap.PeriodEnd = unix(items[priced].CurrentPeriodStart), unix(items[priced].CurrentPeriodEnd)
		} else {
			for _, it := range items {
				if it.CurrentPeriodStart > 0 {
					snap.PeriodStart, snap.PeriodEnd = unix(it.CurrentPeriodStart), unix(it.CurrentPeriodEnd)
					break
				}
			}
		}
	}
	if launchpad.SubscriptionEnded(snap.Status) {
		snap.EndedAt = unix(s.EndedAt)
		if snap.EndedAt.IsZero() {
			snap.EndedAt = unix(s.CanceledAt)
		}
	}
	return snap
}

func unix(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// subChange is what applying an event did to a user.
type subChange struct {
	applied  bool   // the event changed the record
	skipped  string // why it did not, when it did not
	fromPlan string // User.Plan before
	toPlan   string // User.Plan after
	// rotateKey: the change bumped the key rotation generation (RotateOnPlanChange).
	rotateKey bool
}

// applySubscription applies a subscription snapshot from an event created at evCreated to u,
// unless that would move the record backwards:
//   - an event older than the one that last changed the subscription is ignored
//     (Subscription.Newer);
//   - an ended subscription is never reopened by an event about it;
//   - an event's copy (not a fresh fetch) whose billing period starts before the stored one
//     is older than what is stored;
//   - an event that another, older subscription of the customer ended does not end the
//     current one.
//
// plan is the launchpad_plan of snap.PriceID, nil when no plan has that price (the
// subscription is recorded; the user's plan stays as it was). It must have no side effects:
// it runs inside Store.UpdateUser, which may call it more than once.
func applySubscription(u *launchpad.User, snap subSnapshot, plan *launchpad.Plan, evCreated time.Time) subChange {
	sub := &u.Subscription
	ch := subChange{fromPlan: u.Plan, toPlan: u.Plan}
	switch {
	case !sub.Newer(evCreated):
		ch.skipped = "older than the event that last changed the subscription"
		return ch
	case sub.StripeSubscriptionID == snap.ID && launchpad.SubscriptionEnded(sub.Status) && !launchpad.SubscriptionEnded(snap.Status):
		ch.skipped = "the subscription has ended; Stripe does not reopen it"
		return ch
	case sub.StripeSubscriptionID == snap.ID && !snap.Fetched && snap.PeriodStart.Before(sub.CurrentPeriodStart):
		ch.skipped = "its billing period is older than the stored one"
		return ch
	case sub.StripeSubscriptionID != "" && sub.StripeSubscriptionID != snap.ID && launchpad.SubscriptionEnded(snap.Status) && !launchpad.SubscriptionEnded(sub.Status):
		ch.skipped = "it ends an earlier subscription, not the current one (" + sub.StripeSubscriptionID + ")"
		return ch
	}
	ch.applied = true
	if sub.StripeCustomerID == "" {
		sub.StripeCustomerID = snap.Customer
	}
	sub.StripeSubscriptionID = snap.ID
	sub.Status = snap.Status
	sub.PriceID = snap.PriceID
	if plan != nil {
		sub.Plan = plan.Name
	}
	sub.CurrentPeriodStart, sub.CurrentPeriodEnd = snap.PeriodStart, snap.PeriodEnd
	sub.CancelAtPeriodEnd = snap.CancelAtPeriodEnd
	sub.CanceledAt = time.Time{}
	if launchpad.SubscriptionEnded(snap.Status) {
		sub.CanceledAt = snap.EndedAt
		if sub.CanceledAt.IsZero() {
			sub.CanceledAt = evCreated
		}
	}
	switch {
	case snap.Status == launchpad.StatusPastDue || snap.Status == launchpad.StatusUnpaid:
		if sub.PastDueSince.IsZero() {
			sub.PastDueSince = evCreated
		}
	case !sub.PastDueSince.IsZero() && evCreated.Before(sub.PastDueSince):
		// A payment failed after this snapshot was taken: it is still past due.
		sub.Status = launchpad.StatusPastDue
	default:
		sub.PastDueSince = time.Time{}
	}
	sub.EventCreated = evCreated
	mergeOverrides(sub, snap.Metadata)

	switch {
	case launchpad.SubscriptionRunning(sub.Status) && plan != nil:
		u.Plan = plan.Name
	case launchpad.SubscriptionEnded(sub.Status):
		u.Plan = launchpad.TrialPlan
	}
	ch.toPlan = u.Plan
	return ch
}
