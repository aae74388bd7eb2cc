package benchmark

import (
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
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

func (c *stripeCustomer) event(typ string, object map[string]any) stack.Event {
	c.n++
	created := c.next
	c.next = c.next.Add(time.Second)
	return stack.NewEvent(fmt.Sprintf("evt_%s_%03d", c.sub[4:], c.n), typ, created, object)
}

// checkout is checkout.session.completed by someone who had not signed in: the control plane
// creates the user from the email.
func (c *stripeCustomer) checkout() stack.Event {
	return c.event("checkout.session.completed", stack.CheckoutObject("cs_"+c.sub[4:], c.customer, c.sub, "", c.email))
}

// subscription is customer.subscription.created or .updated, active on price.
func (c *stripeCustomer) subscription(typ, price string) stack.Event {
	return c.event(typ, stack.SubscriptionObject(c.sub, c.customer, "active", price, c.period, c.next))
}
