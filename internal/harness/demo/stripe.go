package main

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
)

// stripeSim plays Stripe for one customer: it writes the events Stripe would send for one
// subscription (the stack's client signs each delivery with the endpoint's secret).
type stripeSim struct {
	customer string
	sub      string
	period   time.Time // start of the current billing period
	last     time.Time // created time of the last event, so each is newer than the one before
	n        int
}

func newStripeSim(now time.Time) *stripeSim {
	return &stripeSim{customer: "cus_demo", sub: "sub_demo", period: now.Truncate(24 * time.Hour)}
}

// created returns a created time at least a second after the previous event's.
func (s *stripeSim) created() time.Time {
	t := time.Now().Truncate(time.Second)
	if !t.After(s.last) {
		t = s.last.Add(time.Second)
	}
	s.last = t
	return t
}

// id returns the next event's id: evt_demo_a, evt_demo_b, …
func (s *stripeSim) id() string {
	s.n++
	return "evt_demo_" + string(rune('a'+s.n-1))
}

// checkout is checkout.session.completed for userID, paying for the subscription.
func (s *stripeSim) checkout(userID, email string) billingtest.Event {
	return billingtest.CheckoutCompleted(s.id(), s.created(), billingtest.Checkout{ID: "cs_demo", Customer: s.customer, Subscription: s.sub, UserID: userID, Email: email})
}

// subscription is the event build makes (billingtest.SubscriptionCreated, …Updated or
// …Deleted) with the given status and price.
func (s *stripeSim) subscription(build func(string, time.Time, billingtest.Subscription) billingtest.Event, status, price string) billingtest.Event {
	return build(s.id(), s.created(), billingtest.Subscription{ID: s.sub, Customer: s.customer, Status: status, Price: price, PeriodStart: s.period})
}
