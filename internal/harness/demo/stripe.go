package main

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// stripeSim plays Stripe for one customer: it writes the events Stripe would send for one
// subscription (internal/harness/stack signs each delivery with the endpoint's secret).
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

func (s *stripeSim) event(typ string, created time.Time, object map[string]any) stack.Event {
	s.n++
	return stack.NewEvent("evt_demo_"+string(rune('a'+s.n-1)), typ, created, object)
}

// checkout is checkout.session.completed for userID, paying for the subscription.
func (s *stripeSim) checkout(userID, email string) stack.Event {
	return s.event("checkout.session.completed", s.created(), stack.CheckoutObject("cs_demo", s.customer, s.sub, userID, email))
}

// subscription is customer.subscription.created, .updated or .deleted with the given status
// and price.
func (s *stripeSim) subscription(typ, status, price string) stack.Event {
	created := s.created()
	return s.event(typ, created, stack.SubscriptionObject(s.sub, s.customer, status, price, s.period, created))
}
