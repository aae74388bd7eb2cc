package benchmark

import (
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
)

// The Stripe prices of examples/fleet's two plans, which the customers buy.
const (
	priceStarter = "price_StarterMonthly"
	pricePro     = "price_ProMonthly"
)

// stripeCustomer plays Stripe for one customer with one subscription: it writes the events
// Stripe would send, each created a second after the one before, so the control plane takes
// every change as the newest (it never moves a subscription backwards).
type stripeCustomer struct {
	email, customer, sub string
	period, next         time.Time
	n                    int
}

func newStripeCustomer(tag string, now time.Time) *stripeCustomer {
	start := now.Add(-time.Hour).Truncate(time.Second)
	return &stripeCustomer{
		email:    "bench-" + tag + "@example.com",
		customer: "cus_bench_" + tag,
		sub:      "sub_bench_" + tag,
		period:   start.Truncate(24 * time.Hour),
		next:     start,
	}
}

// nextEvent returns the id and the created time of the customer's next event.
func (c *stripeCustomer) nextEvent() (id string, created time.Time) {
	c.n++
	created = c.next
	c.next = c.next.Add(time.Second)
	return fmt.Sprintf("evt_%s_%03d", c.sub[4:], c.n), created
}

// checkout is checkout.session.completed by someone who had not signed in: the control plane
// creates the user from the email.
func (c *stripeCustomer) checkout() billingtest.Event {
	id, created := c.nextEvent()
	return billingtest.CheckoutCompleted(id, created, billingtest.Checkout{ID: "cs_" + c.sub[4:], Customer: c.customer, Subscription: c.sub, Email: c.email})
}

// subscription is the event build makes (billingtest.SubscriptionCreated or …Updated),
// active on price.
func (c *stripeCustomer) subscription(build func(string, time.Time, billingtest.Subscription) billingtest.Event, price string) billingtest.Event {
	id, created := c.nextEvent()
	return build(id, created, billingtest.Subscription{ID: c.sub, Customer: c.customer, Status: "active", Price: price, PeriodStart: c.period})
}
