package billing

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The processor's pure decisions, one situation per row. The end-to-end tests (package
// billing_test) deliver events through the webhook and the queue; these call the functions
// that decide.

var (
	day0    = time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC) // the first billing period starts here
	starter = &launchpad.Plan{Name: "starter", StripePriceID: "price_Starter"}
	pro     = &launchpad.Plan{Name: "pro", StripePriceID: "price_Pro"}
)

func after(d time.Duration) time.Time { return day0.Add(d) }

// canceledAt and pastDueSince check one time of the user's subscription; why says where the
// wanted time comes from.
func canceledAt(want time.Time, why string) func(*testing.T, *launchpad.User) {
	return subscriptionTime("CanceledAt", func(s launchpad.Subscription) time.Time { return s.CanceledAt }, want, why)
}

func pastDueSince(want time.Time, why string) func(*testing.T, *launchpad.User) {
	return subscriptionTime("PastDueSince", func(s launchpad.Subscription) time.Time { return s.PastDueSince }, want, why)
}

func subscriptionTime(field string, of func(launchpad.Subscription) time.Time, want time.Time, why string) func(*testing.T, *launchpad.User) {
	return func(t *testing.T, u *launchpad.User) {
		t.Helper()
		if got := of(u.Subscription); !got.Equal(want) {
			t.Errorf("%s %s, want %s", field, got, why)
		}
	}
}

// TestApplySubscription: which subscription events change the stored record, and which are
// ignored because they would move it backwards.
func TestApplySubscription(t *testing.T) {
	// onStarter is a user whose subscription sub_1 is on starter, as of an event at one hour.
	onStarter := func(status string) launchpad.User {
		return launchpad.User{ID: "u1", Plan: "starter", Subscription: launchpad.Subscription{
			StripeCustomerID: "cus_1", StripeSubscriptionID: "sub_1", Status: status, PriceID: "price_Starter", Plan: "starter",
			CurrentPeriodStart: day0, CurrentPeriodEnd: day0.AddDate(0, 1, 0), EventCreated: after(time.Hour),
		}}
	}
	sub1 := func(status, price string) subSnapshot {
		return subSnapshot{ID: "sub_1", Customer: "cus_1", Status: status, PriceID: price, PeriodStart: day0, PeriodEnd: day0.AddDate(0, 1, 0)}
	}
	pastDue := onStarter(launchpad.StatusPastDue)
	pastDue.Subscription.PastDueSince = after(time.Hour)
	ended := onStarter(launchpad.StatusCanceled)
	ended.Plan, ended.Subscription.CanceledAt = launchpad.TrialPlan, after(time.Hour)
	olderPeriod := sub1(launchpad.StatusActive, "price_Pro")
	olderPeriod.PeriodStart = day0.AddDate(0, -1, 0)
	fetchedOlderPeriod := olderPeriod
	fetchedOlderPeriod.Fetched = true
	cancelAt := sub1(launchpad.StatusCanceled, "price_Starter")
	cancelAt.EndedAt = after(90 * time.Minute)

	for _, c := range []struct {
		name    string
		user    launchpad.User
		snap    subSnapshot
		plan    *launchpad.Plan // the plan of snap's price; nil when no plan has it
		created time.Time       // when Stripe created the event
		// what happens
		skipped string // why it is ignored; "" when applied
		status  string // the stored status after
		userOn  string // the user's plan after
		check   func(t *testing.T, u *launchpad.User)
	}{
		{name: "the first subscription event sets the plan",
			user: launchpad.User{ID: "u1", Plan: launchpad.TrialPlan}, snap: sub1(launchpad.StatusActive, "price_Starter"), plan: starter, created: after(time.Hour),
			status: launchpad.StatusActive, userOn: "starter",
			check: func(t *testing.T, u *launchpad.User) {
				if s := u.Subscription; s.StripeCustomerID != "cus_1" || s.StripeSubscriptionID != "sub_1" || s.Plan != "starter" || !s.EventCreated.Equal(after(time.Hour)) {
					t.Errorf("subscription %+v", s)
				}
			}},
		{name: "a newer upgrade moves the user to its plan",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusActive, "price_Pro"), plan: pro, created: after(2 * time.Hour),
			status: launchpad.StatusActive, userOn: "pro"},
		{name: "an event of the same second as the stored one still applies",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusActive, "price_Pro"), plan: pro, created: after(time.Hour),
			status: launchpad.StatusActive, userOn: "pro"},
		{name: "an event older than the one stored is ignored",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusActive, "price_Pro"), plan: pro, created: after(30 * time.Minute),
			skipped: "older than the event that last changed the subscription", status: launchpad.StatusActive, userOn: "starter"},
		{name: "an event's copy of an older billing period is ignored",
			user: onStarter(launchpad.StatusActive), snap: olderPeriod, plan: pro, created: after(2 * time.Hour),
			skipped: "its billing period is older than the stored one", status: launchpad.StatusActive, userOn: "starter"},
		{name: "a fresh fetch from Stripe is taken whatever its period",
			user: onStarter(launchpad.StatusActive), snap: fetchedOlderPeriod, plan: pro, created: after(2 * time.Hour),
			status: launchpad.StatusActive, userOn: "pro"},
		{name: "an ended subscription is not reopened by an event about it",
			user: ended, snap: sub1(launchpad.StatusActive, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			skipped: "the subscription has ended; Stripe does not reopen it", status: launchpad.StatusCanceled, userOn: launchpad.TrialPlan},
		{name: "a returning customer's new subscription replaces the ended one",
			user: ended, snap: subSnapshot{ID: "sub_2", Customer: "cus_1", Status: launchpad.StatusActive, PriceID: "price_Pro", PeriodStart: after(2 * time.Hour)}, plan: pro, created: after(2 * time.Hour),
			status: launchpad.StatusActive, userOn: "pro",
			check: func(t *testing.T, u *launchpad.User) {
				if u.Subscription.StripeSubscriptionID != "sub_2" || !u.Subscription.CanceledAt.IsZero() {
					t.Errorf("subscription %+v; want sub_2, not canceled", u.Subscription)
				}
			}},
		{name: "the end of an earlier subscription does not end the current one",
			user: onStarter(launchpad.StatusActive), snap: subSnapshot{ID: "sub_0", Customer: "cus_1", Status: launchpad.StatusCanceled, PriceID: "price_Starter", PeriodStart: day0}, plan: starter, created: after(2 * time.Hour),
			skipped: "it ends an earlier subscription, not the current one (sub_1)", status: launchpad.StatusActive, userOn: "starter"},
		{name: "a cancellation ends the subscription when Stripe says it ended, and the user is on trial",
			user: onStarter(launchpad.StatusActive), snap: cancelAt, plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusCanceled, userOn: launchpad.TrialPlan,
			check: canceledAt(after(90*time.Minute), "ended_at")},
		{name: "a cancellation that says no end time ended when the event was created",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusCanceled, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusCanceled, userOn: launchpad.TrialPlan,
			check: canceledAt(after(2*time.Hour), "the event's time")},
		{name: "falling past due starts the grace at the event",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusPastDue, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusPastDue, userOn: "starter",
			check: pastDueSince(after(2*time.Hour), "the event's time")},
		{name: "still past due: the grace keeps its start",
			user: pastDue, snap: sub1(launchpad.StatusPastDue, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusPastDue, userOn: "starter",
			check: pastDueSince(after(time.Hour), "the first failure's")},
		{name: "active again after the failure: no longer past due",
			user: pastDue, snap: sub1(launchpad.StatusActive, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusActive, userOn: "starter",
			check: pastDueSince(time.Time{}, "cleared")},
		{name: "an active snapshot taken before a later payment failure leaves it past due",
			user: func() launchpad.User {
				u := pastDue
				u.Subscription.PastDueSince, u.Subscription.EventCreated = after(3*time.Hour), after(time.Hour)
				return u
			}(), snap: sub1(launchpad.StatusActive, "price_Starter"), plan: starter, created: after(2 * time.Hour),
			status: launchpad.StatusPastDue, userOn: "starter"},
		{name: "an unknown price is recorded, and the user's plan stays",
			user: onStarter(launchpad.StatusActive), snap: sub1(launchpad.StatusActive, "price_Gold"), created: after(2 * time.Hour),
			status: launchpad.StatusActive, userOn: "starter",
			check: func(t *testing.T, u *launchpad.User) {
				if u.Subscription.PriceID != "price_Gold" || u.Subscription.Plan != "starter" {
					t.Errorf("subscription price %s on plan %s; want price_Gold recorded, the plan kept", u.Subscription.PriceID, u.Subscription.Plan)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := c.user
			ch := applySubscription(&u, c.snap, c.plan, c.created)
			if ch.applied != (c.skipped == "") || ch.skipped != c.skipped {
				t.Fatalf("applied %v, skipped %q; want skipped %q", ch.applied, ch.skipped, c.skipped)
			}
			if u.Subscription.Status != c.status || u.Plan != c.userOn || ch.fromPlan != c.user.Plan || ch.toPlan != u.Plan {
				t.Errorf("status %q, user on %q (change %s → %s); want %q on %q", u.Subscription.Status, u.Plan, ch.fromPlan, ch.toPlan, c.status, c.userOn)
			}
			if !ch.applied && (u.Subscription.StripeSubscriptionID != c.user.Subscription.StripeSubscriptionID || !u.Subscription.EventCreated.Equal(c.user.Subscription.EventCreated)) {
				t.Errorf("an ignored event changed the record: %+v", u.Subscription)
			}
			if c.check != nil {
				c.check(t, &u)
			}
		})
	}
}

// TestLapseAndDesiredFor: when a subscription lapses, when its tenant is destroyed, and what
// the tenant should be at a given moment.
func TestLapseAndDesiredFor(t *testing.T) {
	const grace, retention = 72 * time.Hour, 7 * 24 * time.Hour
	p := &Processor{cfg: ProcessorConfig{PastDueGrace: grace, VolumeRetention: retention}}
	failed := after(24 * time.Hour)
	ended := after(48 * time.Hour)
	sub := func(status string, edit ...func(*launchpad.Subscription)) launchpad.Subscription {
		s := launchpad.Subscription{Status: status, Plan: "starter", EventCreated: after(time.Hour)}
		for _, e := range edit {
			e(&s)
		}
		return s
	}
	pastDueSince := func(s *launchpad.Subscription) { s.PastDueSince = failed }
	canceledAt := func(s *launchpad.Subscription) { s.CanceledAt = ended }
	apply := func(plan string) launchpad.ApplyRequest {
		return launchpad.ApplyRequest{UserID: "u1", Plan: plan, Reason: launchpad.ReasonSubscription}
	}
	destroy := func(reason string) launchpad.ApplyRequest {
		return launchpad.ApplyRequest{UserID: "u1", Destroy: true, Reason: reason}
	}
	none := launchpad.ApplyRequest{}

	for _, c := range []struct {
		name             string
		sub              launchpad.Subscription
		now              time.Time
		lapse, destroyAt time.Time // zero: not lapsing
		want             launchpad.ApplyRequest
	}{
		{name: "no subscription: nothing to apply", sub: launchpad.Subscription{}, now: after(time.Hour), want: none},
		{name: "active: the tenant on its plan", sub: sub(launchpad.StatusActive), now: after(time.Hour), want: apply("starter")},
		{name: "trialing: the tenant on its plan", sub: sub(launchpad.StatusTrialing), now: after(time.Hour), want: apply("starter")},
		{name: "incomplete (the first payment is pending): nothing yet", sub: sub(launchpad.StatusIncomplete), now: after(time.Hour), want: none},
		{name: "active on a price no plan has: nothing", sub: sub(launchpad.StatusActive, func(s *launchpad.Subscription) { s.Plan = "" }), now: after(time.Hour), want: none},
		{name: "past due within the grace: the tenant stays on its plan",
			sub: sub(launchpad.StatusPastDue, pastDueSince), now: failed.Add(grace - time.Minute),
			lapse: failed.Add(grace), destroyAt: failed.Add(grace + retention), want: apply("starter")},
		{name: "past due beyond the grace: lapsed, the tenant kept as it is",
			sub: sub(launchpad.StatusPastDue, pastDueSince), now: failed.Add(grace),
			lapse: failed.Add(grace), destroyAt: failed.Add(grace + retention), want: none},
		{name: "past due beyond the retention: destroyed, as suspended",
			sub: sub(launchpad.StatusPastDue, pastDueSince), now: failed.Add(grace + retention),
			lapse: failed.Add(grace), destroyAt: failed.Add(grace + retention), want: destroy(launchpad.ReasonSuspended)},
		{name: "past due with no recorded failure: the grace runs from the event",
			sub: sub(launchpad.StatusPastDue), now: after(time.Hour),
			lapse: after(time.Hour + grace), destroyAt: after(time.Hour + grace + retention), want: apply("starter")},
		{name: "unpaid within the grace: nothing applied (it entitles to no tenant)",
			sub: sub(launchpad.StatusUnpaid, pastDueSince), now: failed.Add(time.Hour),
			lapse: failed.Add(grace), destroyAt: failed.Add(grace + retention), want: none},
		{name: "unpaid beyond the retention: destroyed, as suspended",
			sub: sub(launchpad.StatusUnpaid, pastDueSince), now: failed.Add(grace + retention),
			lapse: failed.Add(grace), destroyAt: failed.Add(grace + retention), want: destroy(launchpad.ReasonSuspended)},
		{name: "canceled within the retention: kept as it is",
			sub: sub(launchpad.StatusCanceled, canceledAt), now: ended.Add(time.Hour),
			lapse: ended, destroyAt: ended.Add(retention), want: none},
		{name: "canceled, the retention over: destroyed, as ended",
			sub: sub(launchpad.StatusCanceled, canceledAt), now: ended.Add(retention),
			lapse: ended, destroyAt: ended.Add(retention), want: destroy(launchpad.ReasonEnded)},
		{name: "canceled with no end time: lapsed at its last event",
			sub: sub(launchpad.StatusCanceled), now: after(2 * time.Hour),
			lapse: after(time.Hour), destroyAt: after(time.Hour + retention), want: none},
		{name: "expired before its first payment: destroyed after the retention, as ended",
			sub: sub(launchpad.StatusIncompleteExpired, canceledAt), now: ended.Add(retention),
			lapse: ended, destroyAt: ended.Add(retention), want: destroy(launchpad.ReasonEnded)},
		{name: "paused: lapsed when paused, kept for the retention",
			sub: sub(launchpad.StatusPaused), now: after(2 * time.Hour),
			lapse: after(time.Hour), destroyAt: after(time.Hour + retention), want: none},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := &launchpad.User{ID: "u1", Subscription: c.sub}
			lapse, destroyAt := p.Lapse(u)
			if !lapse.Equal(c.lapse) || !destroyAt.Equal(c.destroyAt) {
				t.Errorf("Lapse = %s, destroy at %s; want %s, %s", lapse, destroyAt, c.lapse, c.destroyAt)
			}
			got, ok := p.DesiredFor(u, c.now)
			if ok != (c.want != none) || got != c.want {
				t.Errorf("DesiredFor = %+v, %v; want %+v", got, ok, c.want)
			}
		})
	}

	// A running subscription's desired state carries its overrides and the generations.
	u := &launchpad.User{ID: "u1", Subscription: sub(launchpad.StatusActive, func(s *launchpad.Subscription) {
		s.Metadata = map[string]string{MetaProduct: "openclaw", MetaRegion: "ams", MetaImage: "registry.fly.io/openclaw:2"}
	}), Control: launchpad.TenantControl{KeyRotationGeneration: 3, RebuildGeneration: 4}}
	want := launchpad.ApplyRequest{UserID: "u1", Plan: "starter", Reason: launchpad.ReasonSubscription,
		Product: "openclaw", Region: "ams", Image: "registry.fly.io/openclaw:2", KeyRotation: 3, Rebuild: 4}
	if got, ok := p.DesiredFor(u, after(time.Hour)); !ok || got != want {
		t.Errorf("DesiredFor with overrides and generations = %+v, %v; want %+v", got, ok, want)
	}
}

// TestInvoiceEvents: what a paid invoice and a failed payment change, whatever order Stripe
// delivers them in.
func TestInvoiceEvents(t *testing.T) {
	period1, period2 := day0, day0.AddDate(0, 1, 0)
	opens := func(id string, start time.Time) invoiceFacts {
		return invoiceFacts{ID: id, Customer: "cus_1", Subscription: "sub_1", CycleStart: start, CycleEnd: start.AddDate(0, 1, 0), Opens: true}
	}
	proration := invoiceFacts{ID: "in_p", Customer: "cus_1", Subscription: "sub_1"}
	user := func(status string, cycle time.Time, pastDueSince time.Time) launchpad.User {
		return launchpad.User{ID: "u1", Plan: "starter",
			Subscription: launchpad.Subscription{Status: status, CurrentPeriodStart: cycle, PastDueSince: pastDueSince, EventCreated: after(time.Hour)},
			Usage:        launchpad.Usage{CycleStart: cycle, CycleEnd: cycle.AddDate(0, 1, 0), MachineSeconds: 3600}}
	}
	failedAt := period2.Add(time.Hour)

	for _, c := range []struct {
		name    string
		user    launchpad.User
		paid    bool // invoice.paid, else invoice.payment_failed
		inv     invoiceFacts
		created time.Time
		// what happens
		skipped    string // "" when applied
		cycleReset bool
		status     string
		cycle      time.Time // Usage.CycleStart after
	}{
		{name: "a paid renewal starts the next cycle",
			user: user(launchpad.StatusActive, period1, time.Time{}), paid: true, inv: opens("in_2", period2), created: period2.Add(time.Minute),
			cycleReset: true, status: launchpad.StatusActive, cycle: period2},
		{name: "the first invoice, delivered late, moves nothing back",
			user: user(launchpad.StatusActive, period2, time.Time{}), paid: true, inv: opens("in_1", period1), created: period2.Add(time.Hour),
			skipped: "it neither opens a newer billing period nor settles a later failed payment", status: launchpad.StatusActive, cycle: period2},
		{name: "a paid proration opens no cycle",
			user: user(launchpad.StatusActive, period2, time.Time{}), paid: true, inv: proration, created: period2.Add(time.Hour),
			skipped: "it neither opens a newer billing period nor settles a later failed payment", status: launchpad.StatusActive, cycle: period2},
		{name: "a payment after the failure ends the past-due state",
			user: user(launchpad.StatusPastDue, period1, failedAt), paid: true, inv: opens("in_2", period2), created: failedAt.Add(24 * time.Hour),
			cycleReset: true, status: launchpad.StatusActive, cycle: period2},
		{name: "a payment made before the failure, delivered after it, leaves it past due",
			user: user(launchpad.StatusPastDue, period2, failedAt), paid: true, inv: proration, created: failedAt.Add(-time.Minute),
			skipped: "it neither opens a newer billing period nor settles a later failed payment", status: launchpad.StatusPastDue, cycle: period2},
		{name: "a failed renewal makes it past due",
			user: user(launchpad.StatusActive, period1, time.Time{}), inv: opens("in_2", period2), created: failedAt,
			status: launchpad.StatusPastDue, cycle: period1},
		{name: "a failure of a period paid since is ignored",
			user: user(launchpad.StatusActive, period2, time.Time{}), inv: opens("in_2", period2), created: failedAt.Add(time.Minute),
			skipped: "the billing period it is for has been paid since", status: launchpad.StatusActive, cycle: period2},
		{name: "a second failure keeps the first one's time",
			user: user(launchpad.StatusPastDue, period1, failedAt), inv: opens("in_2", period2), created: failedAt.Add(24 * time.Hour),
			skipped: "the subscription is already past due", status: launchpad.StatusPastDue, cycle: period1},
		{name: "a failure after the subscription ended is ignored",
			user: user(launchpad.StatusCanceled, period1, time.Time{}), inv: opens("in_2", period2), created: failedAt,
			skipped: "the subscription has ended", status: launchpad.StatusCanceled, cycle: period1},
		{name: "a failure older than the last subscription change is ignored",
			user: user(launchpad.StatusActive, period1, time.Time{}), inv: proration, created: after(30 * time.Minute),
			skipped: "older than the event that last changed the subscription", status: launchpad.StatusActive, cycle: period1},
		{name: "an unpaid subscription's failure keeps it unpaid",
			user: user(launchpad.StatusUnpaid, period1, time.Time{}), inv: opens("in_2", period2), created: failedAt,
			status: launchpad.StatusUnpaid, cycle: period1},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := c.user
			var ch invoiceChange
			if c.paid {
				ch = applyInvoicePaid(&u, c.inv, c.created)
			} else {
				ch = applyPaymentFailed(&u, c.inv, c.created)
			}
			if ch.applied != (c.skipped == "") || ch.skipped != c.skipped || ch.cycleReset != c.cycleReset {
				t.Fatalf("applied %v, cycle reset %v, skipped %q; want reset %v, skipped %q", ch.applied, ch.cycleReset, ch.skipped, c.cycleReset, c.skipped)
			}
			if u.Subscription.Status != c.status || !u.Usage.CycleStart.Equal(c.cycle) {
				t.Errorf("status %q, cycle from %s; want %q from %s", u.Subscription.Status, u.Usage.CycleStart, c.status, c.cycle)
			}
			if ch.cycleReset && (u.Usage.MachineSeconds != 0 || !u.Subscription.CurrentPeriodStart.Equal(c.cycle)) {
				t.Errorf("a new cycle kept %v s of the old one, or the period stayed at %s", u.Usage.MachineSeconds, u.Subscription.CurrentPeriodStart)
			}
			if !c.paid && ch.applied && !u.Subscription.PastDueSince.Equal(c.created) {
				t.Errorf("PastDueSince %s, want the failure's time", u.Subscription.PastDueSince)
			}
		})
	}
}

// TestRotatesKey: with LAUNCHPAD_ROTATE_ON_PLAN_CHANGE, which subscription changes rotate the
// tenant's sub-key.
func TestRotatesKey(t *testing.T) {
	for _, c := range []struct {
		name     string
		hasKey   bool
		ch       subChange
		rotation bool
	}{
		{"from one paid plan to another", true, subChange{applied: true, fromPlan: "starter", toPlan: "pro"}, true},
		{"the first plan: the key is minted then", true, subChange{applied: true, fromPlan: launchpad.TrialPlan, toPlan: "starter"}, false},
		{"the end: the key goes with the tenant", true, subChange{applied: true, fromPlan: "pro", toPlan: launchpad.TrialPlan}, false},
		{"no plan change (a replay, a renewal)", true, subChange{applied: true, fromPlan: "pro", toPlan: "pro"}, false},
		{"an ignored event", true, subChange{fromPlan: "starter", toPlan: "pro"}, false},
		{"no key yet", false, subChange{applied: true, fromPlan: "starter", toPlan: "pro"}, false},
	} {
		u := &launchpad.User{ID: "u1"}
		if c.hasKey {
			u.OpenRouterKeyHash = "orhash"
		}
		if got := rotatesKey(u, c.ch); got != c.rotation {
			t.Errorf("%s: rotatesKey = %v, want %v", c.name, got, c.rotation)
		}
	}
}
