package billing_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// versionOutcome is what a scenario leaves behind, compared across API versions.
type versionOutcome struct {
	User    *launchpad.User
	Audit   []auditEntry
	Applies []launchpad.ApplyRequest
	Events  map[string]string // event id → its recorded error ("" once processed cleanly)
	Lapses  int
}

type auditEntry struct {
	Action, Target string
	Details        map[string]string
}

func (w *world) outcome(t *testing.T, user string) versionOutcome {
	t.Helper()
	o := versionOutcome{User: getUser(t, w.store, user), Applies: w.applies(t, user), Events: map[string]string{}}
	o.User.CreatedAt, o.User.UpdatedAt = time.Time{}, time.Time{}
	for _, e := range audit(t, w.store, user) {
		o.Audit = append(o.Audit, auditEntry{e.Action, e.Target, e.Details})
	}
	for _, e := range events(t, w.store) {
		if e.ProcessedAt.IsZero() {
			t.Errorf("event %s was left unprocessed (%q)", e.ID, e.Error)
		}
		o.Events[e.ID] = e.Error
	}
	o.Lapses = len(jobs(t, w.store, launchpad.JobFilter{Kind: billing.JobLapse, Key: user}))
	return o
}

// versioned is the test customer's objects in one API version.
type versioned string

func (v versioned) checkout() billingtest.Checkout {
	return billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_1",
		Metadata: map[string]string{"region": "ams"}, APIVersion: string(v)}
}

func (v versioned) subscription(status, price string, period time.Time) billingtest.Subscription {
	return billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: status, Price: price, PeriodStart: period, APIVersion: string(v)}
}

func (v versioned) invoice(id, reason string, period time.Time) billingtest.Invoice {
	inv := invoice(id, reason, period)
	inv.APIVersion = string(v)
	return inv
}

func (w *world) subscribeIn(t *testing.T, v versioned) {
	t.Helper()
	w.createUser(t, "u1", "alice@example.com")
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), v.checkout()))
	w.deliver(t, billingtest.SubscriptionCreated("evt_created", at(time.Second), v.subscription("active", "price_Starter", t0)))
	w.drainOK(t)
}

// TestEveryAPIVersionShapeReachesTheSameOutcome runs each scenario with its events in each
// API version's shape (2023-10-16, which stripe-go v76 pins; 2025-03-31.basil, which moved
// the invoice's subscription, the lines' proration and the subscription's period; and a later
// one) and requires the very same outcome: the subscription's period, the usage cycle, the
// past-due state, the audit log and the apply jobs. Each outcome is also checked on its own,
// so that versions agreeing on doing nothing fail too.
func TestEveryAPIVersionShapeReachesTheSameOutcome(t *testing.T) {
	p2, p3 := t0.AddDate(0, 1, 0), t0.AddDate(0, 2, 0)
	scenarios := []struct {
		name  string
		run   func(t *testing.T, w *world, v versioned)
		check func(t *testing.T, o versionOutcome)
	}{{
		name: "checkout and subscription.created set the plan and the period",
		run:  func(t *testing.T, w *world, v versioned) { w.subscribeIn(t, v) },
		check: func(t *testing.T, o versionOutcome) {
			s := o.User.Subscription
			if o.User.Plan != "starter" || s.Status != "active" || !s.CurrentPeriodStart.Equal(t0) || !s.CurrentPeriodEnd.Equal(p2) || s.Metadata["region"] != "ams" {
				t.Errorf("plan %q, subscription %+v; want starter, active, period %s to %s", o.User.Plan, s, t0, p2)
			}
			if len(o.Applies) != 1 || o.Applies[0].Plan != "starter" {
				t.Errorf("applies %+v; want one for starter", o.Applies)
			}
		},
	}, {
		name: "paid renewal invoices open new cycles and move the period",
		run: func(t *testing.T, w *world, v versioned) {
			w.subscribeIn(t, v)
			w.deliver(t, billingtest.InvoicePaid("evt_paid_1", at(time.Minute), v.invoice("in_1", "subscription_create", t0)))
			w.drainOK(t)
			if _, err := w.store.UpdateUser(t.Context(), "u1", func(u *launchpad.User) error { u.Usage.MachineSeconds = 3600; return nil }); err != nil {
				t.Fatal(err)
			}
			w.deliver(t, billingtest.InvoicePaid("evt_paid_2", p2.Add(time.Minute), v.invoice("in_2", "subscription_cycle", p2)))
			w.deliver(t, billingtest.SubscriptionUpdated("evt_renewed", p2.Add(2*time.Minute), v.subscription("active", "price_Starter", p2)))
			w.drainOK(t)
		},
		check: func(t *testing.T, o versionOutcome) {
			u := o.User
			if !u.Usage.CycleStart.Equal(p2) || !u.Usage.CycleEnd.Equal(p3) || u.Usage.MachineSeconds != 0 ||
				!u.Subscription.CurrentPeriodStart.Equal(p2) || !u.Subscription.CurrentPeriodEnd.Equal(p3) {
				t.Errorf("usage %+v, period %s to %s; want a fresh cycle and period from %s", u.Usage, u.Subscription.CurrentPeriodStart, u.Subscription.CurrentPeriodEnd, p2)
			}
			if n := countActions(o.Audit, launchpad.AuditCycleReset); n != 2 {
				t.Errorf("%d cycle resets audited, want 2", n)
			}
		},
	}, {
		name: "a proration invoice opens no cycle",
		run: func(t *testing.T, w *world, v versioned) {
			w.subscribeIn(t, v)
			w.deliver(t, billingtest.InvoicePaid("evt_paid_1", at(time.Minute), v.invoice("in_1", "subscription_create", t0)))
			proration := v.invoice("in_p", "subscription_cycle", t0.Add(time.Hour))
			proration.Proration = true // billed with a renewal, but only its proration line
			w.deliver(t, billingtest.InvoicePaid("evt_proration", at(time.Hour), proration))
			w.drainOK(t)
		},
		check: func(t *testing.T, o versionOutcome) {
			if !o.User.Usage.CycleStart.Equal(t0) || countActions(o.Audit, launchpad.AuditCycleReset) != 1 {
				t.Errorf("usage %+v after a proration; want the cycle from %s, reset once", o.User.Usage, t0)
			}
		},
	}, {
		name: "a failed renewal makes it past due, and its payment clears that",
		run: func(t *testing.T, w *world, v versioned) {
			w.subscribeIn(t, v)
			w.deliver(t, billingtest.InvoicePaid("evt_paid_1", at(time.Minute), v.invoice("in_1", "subscription_create", t0)))
			w.deliver(t, billingtest.InvoicePaymentFailed("evt_failed", p2.Add(time.Hour), v.invoice("in_2", "subscription_cycle", p2)))
			w.clock.Set(p2.Add(2 * time.Hour))
			w.drainOK(t)
			if u := getUser(t, w.store, "u1"); u.Subscription.Status != launchpad.StatusPastDue || !u.Subscription.PastDueSince.Equal(p2.Add(time.Hour)) {
				t.Errorf("after the failed renewal: %+v; want past due since it failed", u.Subscription)
			}
			w.deliver(t, billingtest.InvoicePaid("evt_paid_2", p2.Add(24*time.Hour), v.invoice("in_2", "subscription_cycle", p2)))
			w.drainOK(t)
		},
		check: func(t *testing.T, o versionOutcome) {
			s := o.User.Subscription
			if s.Status != launchpad.StatusActive || !s.PastDueSince.IsZero() || !o.User.Usage.CycleStart.Equal(p2) {
				t.Errorf("after paying: subscription %+v, usage %+v; want active in the cycle from %s", s, o.User.Usage, p2)
			}
		},
	}, {
		name: "a plan change, then the cancellation",
		run: func(t *testing.T, w *world, v versioned) {
			w.subscribeIn(t, v)
			w.deliver(t, billingtest.SubscriptionUpdated("evt_upgrade", at(time.Hour), v.subscription("active", "price_Pro", t0)))
			w.drainOK(t)
			w.deliver(t, billingtest.SubscriptionDeleted("evt_deleted", at(2*time.Hour), v.subscription("", "price_Pro", t0)))
			w.drainOK(t)
		},
		check: func(t *testing.T, o versionOutcome) {
			s := o.User.Subscription
			if o.User.Plan != launchpad.TrialPlan || s.Status != "canceled" || !s.CanceledAt.Equal(at(2*time.Hour)) || s.PriceID != "price_Pro" || o.Lapses != 1 {
				t.Errorf("after the cancellation: plan %q, subscription %+v, %d lapse timers", o.User.Plan, s, o.Lapses)
			}
			if n := countActions(o.Audit, launchpad.AuditPlanChanged); n != 3 {
				t.Errorf("%d plan changes audited, want 3 (trial→starter→pro→trial)", n)
			}
		},
	}, {
		name: "a one-off invoice is nothing to do",
		run: func(t *testing.T, w *world, v versioned) {
			w.subscribeIn(t, v)
			oneOff := billingtest.Invoice{ID: "in_x", Customer: "cus_1", BillingReason: "manual", APIVersion: string(v)}
			w.deliver(t, billingtest.InvoicePaid("evt_one_off", at(time.Hour), oneOff))
			w.drainOK(t)
		},
		check: func(t *testing.T, o versionOutcome) {
			if o.Events["evt_one_off"] != "" || !o.User.Usage.CycleStart.IsZero() {
				t.Errorf("a one-off invoice: error %q, usage %+v", o.Events["evt_one_off"], o.User.Usage)
			}
		},
	}}

	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var first versionOutcome
			for i, v := range billingtest.Versions {
				w := newWorld(t, nil)
				sc.run(t, w, versioned(v))
				o := w.outcome(t, "u1")
				t.Run(v, func(t *testing.T) { sc.check(t, o) })
				if i == 0 {
					first = o
				} else if !reflect.DeepEqual(o, first) {
					t.Errorf("events of API version %s reach\n%s\nwhere events of %s reach\n%s", v, mustJSON(o), billingtest.Versions[0], mustJSON(first))
				}
			}
		})
	}
}

func countActions(entries []auditEntry, action string) int {
	n := 0
	for _, e := range entries {
		if e.Action == action {
			n++
		}
	}
	return n
}
