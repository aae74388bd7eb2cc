package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
)

// The Stripe prices the chaos customers buy: examples/fleet's plans carry them.
const (
	priceStarter = "price_StarterMonthly"
	pricePro     = "price_ProMonthly"
)

// customer is one paying user as Stripe sees them, and what their tenant must end up as.
type customer struct {
	email    string
	customer string // cus_…
	sub      string // sub_…
	events   []billingtest.Event
	// subs is what each subscription event says, by event id: the newest one delivered
	// decides what the tenant must end up as.
	subs  map[string]subState
	price string // of the newest subscription event written

	// Filled in as the run goes.
	next   time.Time
	period time.Time
	n      int
}

// newCustomer starts a customer whose events are created from start on.
func newCustomer(tag string, i int, start time.Time) *customer {
	return &customer{
		email:    fmt.Sprintf("chaos-%s-%02d@example.com", tag, i),
		customer: fmt.Sprintf("cus_%s_%02d", tag, i),
		sub:      fmt.Sprintf("sub_%s_%02d", tag, i),
		next:     start,
		period:   start.Truncate(24 * time.Hour),
		subs:     map[string]subState{},
	}
}

// subState is what a subscription event says: the price, and whether it ended the
// subscription (then nothing may be left of the tenant).
type subState struct {
	created  time.Time
	price    string
	canceled bool
}

// expected is what the customer's tenant must be once every event delivered is processed:
// as the newest delivered subscription event says. ok is false when none was delivered.
func (c *customer) expected(delivered func(id string) bool) (s subState, ok bool) {
	for id, st := range c.subs {
		if delivered(id) && (!ok || st.created.After(s.created)) {
			s, ok = st, true
		}
	}
	return s, ok
}

// nextEvent returns the id and the created time of the customer's next event, a second after
// the one before.
func (c *customer) nextEvent() (id string, created time.Time) {
	c.n++
	created = c.next
	c.next = c.next.Add(time.Second)
	return fmt.Sprintf("evt_%s_%02d", c.sub[4:], c.n), created
}

// keep adds ev to the customer's events.
func (c *customer) keep(ev billingtest.Event) billingtest.Event {
	c.events = append(c.events, ev)
	return ev
}

func (c *customer) checkout() billingtest.Event {
	id, created := c.nextEvent()
	return c.keep(billingtest.CheckoutCompleted(id, created, billingtest.Checkout{
		ID: "cs_" + c.sub[4:], Customer: c.customer, Subscription: c.sub, Email: c.email,
	}))
}

// subscription writes the subscription event build makes (billingtest.SubscriptionCreated,
// …Updated, …Deleted) and keeps what the tenant must end up as: the newest subscription
// event decides.
func (c *customer) subscription(build func(string, time.Time, billingtest.Subscription) billingtest.Event, status, price string) billingtest.Event {
	id, created := c.nextEvent()
	c.price = price
	ev := c.keep(build(id, created, billingtest.Subscription{ID: c.sub, Customer: c.customer, Status: status, Price: price, PeriodStart: c.period}))
	c.subs[ev.ID] = subState{created: created, price: price, canceled: status == "canceled"}
	return ev
}

func (c *customer) invoice(reason string) billingtest.Event {
	invoice := fmt.Sprintf("in_%s_%02d", c.sub[4:], c.n+1)
	id, created := c.nextEvent()
	return c.keep(billingtest.InvoicePaid(id, created, billingtest.Invoice{
		ID: invoice, Customer: c.customer, Subscription: c.sub, BillingReason: reason, PeriodStart: c.period,
	}))
}

// renewal is a new billing period: its invoice, then the subscription's own update, as
// Stripe sends them.
func (c *customer) renewal() []billingtest.Event {
	c.period = c.period.AddDate(0, 1, 0)
	return []billingtest.Event{c.invoice("subscription_cycle"), c.subscription(billingtest.SubscriptionUpdated, "active", c.price)}
}

func other(price string) string {
	if price == priceStarter {
		return pricePro
	}
	return priceStarter
}

// story writes a customer's whole life: checkout, subscription and first invoice, a few
// upgrades and downgrades, sometimes a renewal, and for some a cancellation at the end.
func (c *customer) story(r *rand.Rand, changes int, cancel bool) {
	price := priceStarter
	if r.IntN(2) == 0 {
		price = pricePro
	}
	c.checkout()
	c.subscription(billingtest.SubscriptionCreated, "active", price)
	c.invoice("subscription_create")
	renewAt := -1
	if changes > 1 && r.IntN(3) == 0 {
		renewAt = r.IntN(changes)
	}
	for i := 0; i < changes; i++ {
		if i == renewAt {
			c.renewal()
		}
		c.subscription(billingtest.SubscriptionUpdated, "active", other(c.price))
	}
	if cancel {
		c.subscription(billingtest.SubscriptionDeleted, "canceled", c.price)
	}
}

// delivery is one POST of an event to the webhook, due at an offset from the start.
type delivery struct {
	at   time.Duration
	ev   billingtest.Event
	user *customer
	dup  bool // a second delivery of the same event
}

// crashModel writes the crash scenario: users customers whose stories make exactly n
// deliveries over window — each event at least once, the rest duplicates — in an order that
// puts many of a customer's events out of order (each is due at its place in the story plus
// a random delay of up to two and a half places).
func crashModel(r *rand.Rand, tag string, users, n int, window time.Duration, start time.Time) ([]*customer, []delivery, error) {
	var cs []*customer
	distinct := 0
	for i := 0; i < users; i++ {
		c := newCustomer(tag, i+1, start.Add(time.Duration(i)*time.Minute))
		c.story(r, 2+r.IntN(4), r.IntN(10) < 3)
		cs = append(cs, c)
		distinct += len(c.events)
	}
	if distinct > n {
		return nil, nil, fmt.Errorf("the %d customers' stories have %d events, more than the %d deliveries asked for: ask for more deliveries or fewer users", users, distinct, n)
	}
	var ds []delivery
	for i, c := range cs {
		// Customers start one after the other over the first half of the window; a story's
		// events are spread over the half that follows.
		offset := time.Duration(i) * window / time.Duration(2*len(cs))
		slot := window / time.Duration(2*len(c.events)+2)
		for j, ev := range c.events {
			jitter := time.Duration(r.Int64N(int64(slot) * 5 / 2))
			ds = append(ds, delivery{at: offset + time.Duration(j)*slot + jitter, ev: ev, user: c})
		}
	}
	for len(ds) < n {
		orig := ds[r.IntN(distinct)]
		ds = append(ds, delivery{at: time.Duration(r.Int64N(int64(window))), ev: orig.ev, user: orig.user, dup: true})
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].at < ds[j].at })
	return cs, ds, nil
}

// outOfOrder counts deliveries of an event older than one of the same customer delivered
// before it (duplicates aside).
func outOfOrder(ds []delivery) int {
	newest := map[*customer]time.Time{}
	n := 0
	for _, d := range ds {
		if d.dup {
			continue
		}
		if d.ev.Created.Before(newest[d.user]) {
			n++
		}
		if d.ev.Created.After(newest[d.user]) {
			newest[d.user] = d.ev.Created
		}
	}
	return n
}
