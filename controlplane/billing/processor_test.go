package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// t0 is the test's Stripe time: events are created at t0+n seconds.
var t0 = time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// world is a store with plans, a webhook on loopback and a processor on a settable clock.
type world struct {
	store launchpad.Store
	url   string
	proc  *billing.Processor
	clock *sim.ManualClock
	log   *stacktest.Output
}

const (
	grace     = 72 * time.Hour
	retention = 7 * 24 * time.Hour
)

func newWorld(t *testing.T, fetcher billing.SubscriptionFetcher) *world {
	t.Helper()
	return newWorldWith(t, fetcher, nil)
}

// newWorldWith is newWorld with configure applied to the processor's configuration.
func newWorldWith(t *testing.T, fetcher billing.SubscriptionFetcher, configure func(*billing.ProcessorConfig)) *world {
	t.Helper()
	s, _ := newStore(t)
	plans(t, s)
	log, buf := newLogger(t)
	w := &world{store: s, clock: sim.NewManualClock(at(time.Minute)), log: buf}
	cfg := billing.ProcessorConfig{
		Store: s, Stripe: fetcher, PastDueGrace: grace, VolumeRetention: retention, Now: w.clock.Now, Logger: log,
	}
	if configure != nil {
		configure(&cfg)
	}
	var err error
	w.proc, err = billing.NewProcessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.url = webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}, Logger: log})
	return w
}

// outcome is one processed job.
type outcome struct {
	job *launchpad.Job
	err error
}

// drain runs every runnable job of the processor's kinds at the world's clock, as a worker
// would, and returns what happened. A retryable failure is put back for an hour later.
func (w *world) drain(t *testing.T) []outcome {
	t.Helper()
	var out []outcome
	handlers := w.proc.Handlers()
	for range 100 {
		now := w.clock.Now()
		j, err := w.store.ClaimJob(t.Context(), launchpad.JobClaim{Worker: "test", Kinds: []string{launchpad.JobStripeEvent, billing.JobLapse}, Lease: time.Minute, Now: now})
		if launchpad.IsNotFound(err) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		_, herr := handlers[j.Kind](t.Context(), j)
		res := launchpad.JobResult{Status: launchpad.JobSucceeded}
		if herr != nil {
			res = launchpad.JobResult{Status: launchpad.JobFailed, Error: herr.Error()}
			if !queue.IsPermanent(herr) {
				res.RetryAt = now.Add(time.Hour)
			}
		}
		if _, err := w.store.FinishJob(t.Context(), j.ID, "test", res, now); err != nil {
			t.Fatal(err)
		}
		out = append(out, outcome{j, herr})
	}
	t.Fatal("drain: more than 100 jobs")
	return nil
}

// drainOK drains and fails the test on any handler error.
func (w *world) drainOK(t *testing.T) {
	t.Helper()
	for _, o := range w.drain(t) {
		if o.err != nil {
			t.Fatalf("job %s (%s) failed: %v", o.job.ID, o.job.Kind, o.err)
		}
	}
}

func (w *world) deliver(t *testing.T, ev billingtest.Event) { deliver(t, w.url, ev) }

// applies returns the desired states of the user's apply jobs that were not superseded,
// oldest first.
func (w *world) applies(t *testing.T, user string) []launchpad.ApplyRequest {
	t.Helper()
	var out []launchpad.ApplyRequest
	js := jobs(t, w.store, launchpad.JobFilter{Kind: launchpad.JobApply, Key: user})
	for i := len(js) - 1; i >= 0; i-- {
		if js[i].Status == launchpad.JobSuperseded {
			continue
		}
		d, err := launchpad.ParseApplyRequest(js[i].Payload)
		if err != nil {
			t.Fatalf("apply job %s has a bad payload: %v", js[i].ID, err)
		}
		out = append(out, d)
	}
	return out
}

// invoice is an invoice of the test customer's subscription (cus_1, sub_1) for the month
// from period.
func invoice(id, reason string, period time.Time) billingtest.Invoice {
	return billingtest.Invoice{ID: id, Customer: "cus_1", Subscription: "sub_1", BillingReason: reason, PeriodStart: period}
}

// renewalFails delivers the paid first invoice of the subscription (its period from t0) and
// the failed payment of its renewal a month later, an hour into the new period; it returns
// the renewal's period and when its payment failed.
func (w *world) renewalFails(t *testing.T) (renewal, failedAt time.Time) {
	t.Helper()
	renewal = t0.AddDate(0, 1, 0)
	failedAt = renewal.Add(time.Hour)
	w.deliver(t, billingtest.InvoicePaid("evt_paid_1", at(time.Minute), invoice("in_1", "subscription_create", t0)))
	w.deliver(t, billingtest.InvoicePaymentFailed("evt_failed", failedAt, invoice("in_2", "subscription_cycle", renewal)))
	return renewal, failedAt
}

func (w *world) createUser(t *testing.T, id, email string) {
	t.Helper()
	if err := w.store.CreateUser(t.Context(), &launchpad.User{ID: id, Email: email, Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
}

// subscribe runs checkout and subscription.created for user u1 on starter at t0.
func (w *world) subscribe(t *testing.T) {
	t.Helper()
	w.createUser(t, "u1", "alice@example.com")
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_1", Metadata: map[string]string{"region": "ams"}}))
	w.deliver(t, billingtest.SubscriptionCreated("evt_created", at(time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0}))
	w.drainOK(t)
}

func TestCheckoutAndSubscriptionEnqueueOneApply(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	u := getUser(t, w.store, "u1")
	if u.Plan != "starter" || u.Subscription.StripeCustomerID != "cus_1" || u.Subscription.Status != "active" || u.Subscription.Plan != "starter" || u.Subscription.Metadata["region"] != "ams" {
		t.Fatalf("user after checkout: plan %q, subscription %+v", u.Plan, u.Subscription)
	}
	want := launchpad.ApplyRequest{UserID: "u1", Plan: "starter", Region: "ams", Reason: launchpad.ReasonSubscription}
	if got := w.applies(t, "u1"); len(got) != 1 || got[0] != want {
		t.Fatalf("apply jobs %+v; want exactly %+v", got, want)
	}
	if got := auditActions(t, w.store, "u1"); strings.Join(got, ",") != launchpad.AuditPlanChanged {
		t.Fatalf("audit %v; want one plan.changed", got)
	}
	if e := audit(t, w.store, "u1")[0]; e.Details["from"] != "trial" || e.Details["to"] != "starter" || e.Actor != "stripe" {
		t.Fatalf("plan.changed details %v by %s", e.Details, e.Actor)
	}

	// Stripe delivers both again, and an operator re-enqueues one by hand: nothing new.
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_1", Metadata: map[string]string{"region": "ams"}}))
	w.deliver(t, billingtest.SubscriptionCreated("evt_created", at(time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0}))
	if _, err := w.store.EnqueueJob(t.Context(), billing.StripeEventJob("evt_created", "cus_1", 0)); err != nil {
		t.Fatal(err)
	}
	w.drainOK(t)
	if got := w.applies(t, "u1"); len(got) != 1 {
		t.Fatalf("after duplicate deliveries and a re-run there are %d apply jobs, want 1", len(got))
	}
	if got := auditActions(t, w.store, "u1"); len(got) != 1 {
		t.Fatalf("after duplicates the audit has %v, want the one plan change", got)
	}
	for _, e := range events(t, w.store) {
		if e.ProcessedAt.IsZero() || e.Error != "" {
			t.Errorf("event %s: processed %v, error %q", e.ID, e.ProcessedAt, e.Error)
		}
	}
}

func TestSubscriptionBeforeItsCheckoutIsRetried(t *testing.T) {
	w := newWorld(t, nil)
	w.createUser(t, "u1", "alice@example.com")
	w.deliver(t, billingtest.SubscriptionCreated("evt_created", at(time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0}))
	out := w.drain(t)
	if len(out) != 1 || out[0].err == nil || queue.IsPermanent(out[0].err) || !strings.Contains(out[0].err.Error(), "no user is linked to Stripe customer cus_1") {
		t.Fatalf("a subscription event before its checkout: %+v; want a retryable error saying no user is linked yet", out)
	}
	// The checkout links the customer and replays the waiting event at once, without
	// waiting for its retry (an hour away here).
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_1"}))
	w.drainOK(t)
	if u := getUser(t, w.store, "u1"); u.Plan != "starter" {
		t.Fatalf("after the checkout the user is on %q, want starter", u.Plan)
	}
	// The original job's retry comes later and changes nothing.
	w.clock.Set(w.clock.Now().Add(2 * time.Hour))
	w.drainOK(t)
	if got := w.applies(t, "u1"); len(got) != 1 || got[0].Plan != "starter" {
		t.Fatalf("apply jobs %+v; want one for starter", got)
	}
}

func TestAnOlderUpdateDeliveredLateDoesNotDowngrade(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	w.deliver(t, billingtest.SubscriptionUpdated("evt_upgrade", at(20*time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: t0}))
	w.drainOK(t)
	// The downgrade happened before the upgrade but arrives after it.
	w.deliver(t, billingtest.SubscriptionUpdated("evt_downgrade", at(10*time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0}))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Plan != "pro" || u.Subscription.PriceID != "price_Pro" || !u.Subscription.EventCreated.Equal(at(20*time.Second)) {
		t.Fatalf("after a late older update the user is on %q (price %s, as of %s); want pro as of the upgrade", u.Plan, u.Subscription.PriceID, u.Subscription.EventCreated)
	}
	// The queued starter apply was superseded by the pro one; the late event added none.
	got := w.applies(t, "u1")
	if all := jobs(t, w.store, launchpad.JobFilter{Kind: launchpad.JobApply, Key: "u1"}); len(all) != 2 || len(got) != 1 || got[0].Plan != "pro" {
		t.Fatalf("apply jobs %+v (%d in all); want starter superseded by pro, and nothing for the late downgrade", got, len(all))
	}
	if !strings.Contains(w.log.String(), "older than the event that last changed the subscription") {
		t.Errorf("the ignored event is not explained in the log")
	}

	// Same second, but the object itself is older (an earlier billing period): ignored too.
	w.deliver(t, billingtest.SubscriptionUpdated("evt_same_second", at(20*time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0.AddDate(0, -1, 0)}))
	w.drainOK(t)
	if u := getUser(t, w.store, "u1"); u.Plan != "pro" {
		t.Fatalf("an update of the same second with an older billing period moved the user to %q", u.Plan)
	}
}

func TestUnknownPriceIsAnAuditedErrorNotACrash(t *testing.T) {
	w := newWorld(t, nil)
	w.createUser(t, "u1", "alice@example.com")
	w.deliver(t, billingtest.CheckoutCompleted("evt_checkout", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: "u1", Email: "alice@example.com", Subscription: "sub_1"}))
	w.deliver(t, billingtest.SubscriptionCreated("evt_gold", at(time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Gold", PeriodStart: t0}))
	out := w.drain(t)
	var failed *outcome
	for i := range out {
		if out[i].err != nil {
			failed = &out[i]
		}
	}
	if failed == nil || !queue.IsPermanent(failed.err) || !strings.Contains(failed.err.Error(), `stripe_price_id "price_Gold"`) {
		t.Fatalf("outcomes %+v; want the subscription event to fail permanently naming the price", out)
	}
	if j, _ := w.store.GetJob(t.Context(), failed.job.ID); j.Status != launchpad.JobFailed || j.Attempts != 1 {
		t.Fatalf("the job is %q after %d attempts; want failed after 1 (visible, not retried)", j.Status, j.Attempts)
	}
	evs := audit(t, w.store, "u1")
	if len(evs) != 1 || evs[0].Action != launchpad.AuditPlanUnknown || evs[0].Details["price_id"] != "price_Gold" {
		t.Fatalf("audit %s; want one plan.unknown_price naming price_Gold", mustJSON(evs))
	}
	u := getUser(t, w.store, "u1")
	if u.Plan != launchpad.TrialPlan || u.Subscription.Status != "active" || u.Subscription.PriceID != "price_Gold" {
		t.Fatalf("user: plan %q, subscription %+v; want the subscription recorded and the plan unchanged", u.Plan, u.Subscription)
	}
	if rec, _ := w.store.GetStripeEvent(t.Context(), "evt_gold"); !strings.Contains(rec.Error, "price_Gold") {
		t.Fatalf("event error %q; want the unknown price", rec.Error)
	}
	if got := w.applies(t, "u1"); len(got) != 0 {
		t.Fatalf("an unknown price enqueued applies %+v", got)
	}

	// The operator adds the plan and re-enqueues the event: now it applies.
	if err := w.store.CreatePlan(t.Context(), &launchpad.Plan{Name: "gold", StripePriceID: "price_Gold", VolumeSizeGB: 50, Guest: launchpad.Guest{CPUKind: "shared", CPUs: 4, MemoryMB: 8192}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.EnqueueJob(t.Context(), billing.StripeEventJob("evt_gold", "cus_1", 0)); err != nil {
		t.Fatal(err)
	}
	w.drainOK(t)
	if u := getUser(t, w.store, "u1"); u.Plan != "gold" {
		t.Fatalf("after adding the plan the user is on %q, want gold", u.Plan)
	}
}

func TestCancellationDestroysTheTenantAfterTheRetention(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	ended := at(time.Hour)
	w.deliver(t, billingtest.SubscriptionDeleted("evt_deleted", ended, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_Starter", PeriodStart: t0}))
	w.clock.Set(ended.Add(time.Minute))
	w.drainOK(t)

	u := getUser(t, w.store, "u1")
	if u.Plan != launchpad.TrialPlan || u.Subscription.Status != "canceled" || !u.Subscription.CanceledAt.Equal(ended) {
		t.Fatalf("after the cancellation: plan %q, subscription %+v", u.Plan, u.Subscription)
	}
	if got := w.applies(t, "u1"); len(got) != 1 {
		t.Fatalf("the cancellation enqueued an apply at once: %+v; the tenant is kept for the retention", got)
	}
	timers := jobs(t, w.store, launchpad.JobFilter{Kind: billing.JobLapse, Key: "u1"})
	if len(timers) != 1 || !timers[0].RunAfter.Equal(ended.Add(retention)) {
		t.Fatalf("lapse timers %s; want one at the end plus the retention (%s)", mustJSON(timers), ended.Add(retention))
	}
	// A late update of the ended subscription does not reopen it.
	w.deliver(t, billingtest.SubscriptionUpdated("evt_late_active", ended, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: t0}))
	w.drainOK(t)
	if u := getUser(t, w.store, "u1"); u.Subscription.Status != "canceled" {
		t.Fatalf("an event about the ended subscription reopened it: %+v", u.Subscription)
	}

	w.clock.Set(ended.Add(retention - time.Second))
	if out := w.drain(t); len(out) != 0 {
		t.Fatalf("jobs ran before the retention ended: %+v", out)
	}
	w.clock.Set(ended.Add(retention))
	w.drainOK(t)
	want := launchpad.ApplyRequest{UserID: "u1", Destroy: true, Reason: launchpad.ReasonEnded}
	if got := w.applies(t, "u1"); len(got) != 1 || got[0] != want {
		t.Fatalf("apply jobs %+v; want the destroy %+v (superseding the queued create)", got, want)
	}
}

func TestResubscribingWithinTheRetentionKeepsTheTenant(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	ended := at(time.Hour)
	sub := billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "canceled", Price: "price_Starter", PeriodStart: t0, EndedAt: ended}
	w.deliver(t, billingtest.SubscriptionDeleted("evt_deleted", ended, sub))
	w.drainOK(t)
	// The customer comes back a day later with a new subscription, on pro.
	back := ended.Add(24 * time.Hour)
	w.deliver(t, billingtest.SubscriptionCreated("evt_new_sub", back, billingtest.Subscription{ID: "sub_2", Customer: "cus_1", Status: "active", Price: "price_Pro", PeriodStart: back}))
	// The old subscription's deletion is delivered again, late: it must not end the new one.
	w.deliver(t, billingtest.SubscriptionDeleted("evt_deleted_again", back.Add(time.Second), sub))
	w.clock.Set(back.Add(time.Minute))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Plan != "pro" || u.Subscription.StripeSubscriptionID != "sub_2" || u.Subscription.Status != "active" {
		t.Fatalf("after resubscribing: plan %q, subscription %+v", u.Plan, u.Subscription)
	}
	w.clock.Set(ended.Add(retention + time.Hour))
	w.drainOK(t)
	for _, d := range w.applies(t, "u1") {
		if d.Destroy {
			t.Fatalf("the tenant of a customer who came back was destroyed: %+v", w.applies(t, "u1"))
		}
	}
	if got := w.applies(t, "u1"); got[len(got)-1].Plan != "pro" {
		t.Fatalf("apply jobs %+v; want pro last", got)
	}
}

func TestInvoicesMoveTheUsageCycleForwardOnly(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	p1, p2 := t0, t0.AddDate(0, 1, 0)
	w.deliver(t, billingtest.InvoicePaid("evt_paid_1", at(time.Minute), invoice("in_1", "subscription_create", p1)))
	w.drainOK(t)
	if _, err := w.store.UpdateUser(t.Context(), "u1", func(u *launchpad.User) error { u.Usage.MachineSeconds = 3600; return nil }); err != nil {
		t.Fatal(err)
	}
	w.deliver(t, billingtest.InvoicePaid("evt_paid_2", p2.Add(time.Minute), invoice("in_2", "subscription_cycle", p2)))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if !u.Usage.CycleStart.Equal(p2) || u.Usage.MachineSeconds != 0 || !u.Subscription.CurrentPeriodStart.Equal(p2) {
		t.Fatalf("after the renewal: usage %+v, period start %s; want a fresh cycle from %s", u.Usage, u.Subscription.CurrentPeriodStart, p2)
	}
	if _, err := w.store.UpdateUser(t.Context(), "u1", func(u *launchpad.User) error { u.Usage.MachineSeconds = 60; return nil }); err != nil {
		t.Fatal(err)
	}
	// The first invoice's event again, and a proration invoice: neither resets anything.
	w.deliver(t, billingtest.InvoicePaid("evt_paid_1_late", p2.Add(time.Hour), invoice("in_1", "subscription_create", p1)))
	w.deliver(t, billingtest.InvoicePaid("evt_proration", p2.Add(2*time.Hour), invoice("in_3", "subscription_update", p2.Add(time.Hour))))
	w.drainOK(t)
	if u := getUser(t, w.store, "u1"); !u.Usage.CycleStart.Equal(p2) || u.Usage.MachineSeconds != 60 {
		t.Fatalf("a late or proration invoice changed the cycle: %+v", u.Usage)
	}
	resets := 0
	for _, a := range auditActions(t, w.store, "u1") {
		if a == launchpad.AuditCycleReset {
			resets++
		}
	}
	if resets != 2 {
		t.Fatalf("%d usage.cycle_reset audit events, want 2", resets)
	}
	if got := w.applies(t, "u1"); len(got) != 1 {
		t.Fatalf("invoices enqueued applies: %+v", got)
	}
}

func TestPastDueKeepsTheTenantForTheGraceThenLapses(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	_, failedAt := w.renewalFails(t)
	w.clock.Set(failedAt.Add(time.Minute))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Subscription.Status != "past_due" || !u.Subscription.PastDueSince.Equal(failedAt) || u.Plan != "starter" {
		t.Fatalf("after the failed payment: plan %q, subscription %+v", u.Plan, u.Subscription)
	}
	if d, ok := w.proc.DesiredFor(u, failedAt.Add(grace-time.Minute)); !ok || d.Destroy || d.Plan != "starter" {
		t.Fatalf("within the grace the desired state is %+v (%v); want the tenant kept on starter", d, ok)
	}
	if _, ok := w.proc.DesiredFor(u, failedAt.Add(grace)); ok {
		t.Fatalf("after the grace (lapsed, within the retention) there should be nothing to apply")
	}
	destroyAt := failedAt.Add(grace + retention)
	if timers := jobs(t, w.store, launchpad.JobFilter{Kind: billing.JobLapse, Key: "u1"}); len(timers) != 1 || !timers[0].RunAfter.Equal(destroyAt) {
		t.Fatalf("lapse timers %s; want one at %s", mustJSON(timers), destroyAt)
	}
	w.clock.Set(destroyAt)
	w.drainOK(t)
	want := launchpad.ApplyRequest{UserID: "u1", Destroy: true, Reason: launchpad.ReasonSuspended}
	if got := w.applies(t, "u1"); got[len(got)-1] != want {
		t.Fatalf("apply jobs %+v; want the destroy %+v last", got, want)
	}
}

func TestAPaymentAfterAFailureEndsThePastDueState(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	p2, failedAt := w.renewalFails(t)
	w.deliver(t, billingtest.InvoicePaid("evt_paid_2", failedAt.Add(24*time.Hour), invoice("in_2", "subscription_cycle", p2)))
	// Stripe's retry of the failure notice arrives after the payment: ignored.
	w.deliver(t, billingtest.InvoicePaymentFailed("evt_failed_late", failedAt.Add(time.Minute), invoice("in_2", "subscription_cycle", p2)))
	w.clock.Set(failedAt.Add(25 * time.Hour))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Subscription.Status != "active" || !u.Subscription.PastDueSince.IsZero() {
		t.Fatalf("after paying: subscription %+v; want active", u.Subscription)
	}
	w.clock.Set(failedAt.Add(grace + retention + time.Hour))
	w.drainOK(t)
	for _, d := range w.applies(t, "u1") {
		if d.Destroy {
			t.Fatalf("a customer who paid was torn down: %+v", w.applies(t, "u1"))
		}
	}
}

func TestCheckoutFindsOrCreatesTheUser(t *testing.T) {
	w := newWorld(t, nil)
	w.createUser(t, "bob", "bob@example.com")
	// No client_reference_id (a payment link): matched by email.
	w.deliver(t, billingtest.CheckoutCompleted("evt_c1", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_bob", Email: "Bob@Example.com", Subscription: "sub_b"}))
	// A reference that is not a user id: ignored, matched by email, which nobody has: created.
	w.deliver(t, billingtest.CheckoutCompleted("evt_c2", at(0), billingtest.Checkout{ID: "cs_2", Customer: "cus_new", UserID: "../../etc/passwd", Email: "new@example.com", Subscription: "sub_n", Metadata: map[string]string{"product": "openclaw", "region": "IAD; rm -rf", "image": `x"${file("/etc/passwd")}`}}))
	w.drainOK(t)
	if u := getUser(t, w.store, "bob"); u.Subscription.StripeCustomerID != "cus_bob" {
		t.Fatalf("bob was not linked by email: %+v", u.Subscription)
	}
	nu, err := w.store.GetUserByEmail(t.Context(), "new@example.com")
	if err != nil {
		t.Fatalf("no user was created for the payer who never signed in: %v", err)
	}
	if nu.Subscription.StripeCustomerID != "cus_new" || nu.Plan != launchpad.TrialPlan {
		t.Fatalf("created user: %+v", nu)
	}
	if md := nu.Subscription.Metadata; md["product"] != "openclaw" || md["region"] != "" || md["image"] != "" {
		t.Fatalf("overrides %v; want the valid product kept and the hostile region and image dropped", md)
	}
	if !strings.Contains(w.log.String(), "ignoring invalid tenant overrides") {
		t.Errorf("dropped overrides are not logged")
	}
	// A checkout that names nobody and no email fails visibly.
	w.deliver(t, billingtest.NewEvent("evt_c3", billing.EventCheckoutCompleted, at(0), map[string]any{"id": "cs_3", "object": "checkout.session", "customer": "cus_x"}))
	out := w.drain(t)
	if len(out) != 1 || !queue.IsPermanent(out[0].err) {
		t.Fatalf("an anonymous checkout: %+v; want a permanent failure", out)
	}
}

func TestEnqueueApplyForAnOperator(t *testing.T) {
	w := newWorld(t, nil)
	w.subscribe(t)
	j, err := w.proc.EnqueueApply(t.Context(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := launchpad.ParseApplyRequest(j.Payload)
	if d.Plan != "starter" || d.Reason != launchpad.ReasonAdmin || j.Key != "u1" {
		t.Fatalf("admin apply %+v (key %s)", d, j.Key)
	}
	if _, err := w.proc.EnqueueApply(t.Context(), "nobody"); !launchpad.IsNotFound(err) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := w.proc.EnqueueApply(t.Context(), "../x"); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("bad id: %v", err)
	}
	w.createUser(t, "trial1", "t@example.com")
	if _, err := w.proc.EnqueueApply(t.Context(), "trial1"); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "no subscription") {
		t.Fatalf("trial user: %v", err)
	}
}

func TestBadJobPayloadsFailPermanently(t *testing.T) {
	w := newWorld(t, nil)
	for kind, payload := range map[string]string{launchpad.JobStripeEvent: `{"event_id":"evt_missing"}`, billing.JobLapse: `{"user_id":"../x"}`} {
		h := w.proc.Handlers()[kind]
		_, err := h(context.Background(), &launchpad.Job{ID: "j", Kind: kind, Key: "k", Payload: []byte(payload)})
		if !queue.IsPermanent(err) {
			t.Errorf("%s with %s: %v; want a permanent error", kind, payload, err)
		}
	}
	var target *launchpad.Error
	_, err := w.proc.Handlers()[launchpad.JobStripeEvent](context.Background(), &launchpad.Job{ID: "j", Payload: []byte(`nope`)})
	if !errors.As(err, &target) || target.Code != launchpad.EINVALID {
		t.Errorf("unparseable payload: %v", err)
	}
}

// A checkout matched by email finds the account of the canonical address, whatever the
// spelling Stripe saw (fullwidth letters, a fullwidth domain); one at an IP literal links
// nobody and fails visibly instead of making an account no one can sign in to.
func TestCheckoutMatchesLookAlikeEmailsToTheCanonicalAccount(t *testing.T) {
	w := newWorld(t, nil)
	w.createUser(t, "victim", "victim@example.com")
	w.deliver(t, billingtest.CheckoutCompleted("evt_c1", at(0), billingtest.Checkout{ID: "cs_1", Customer: "cus_v", Email: "ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ", Subscription: "sub_v"}))
	w.drainOK(t)
	if u := getUser(t, w.store, "victim"); u.Subscription.StripeCustomerID != "cus_v" {
		t.Fatalf("the look-alike's checkout was not linked to the canonical account: %+v", u.Subscription)
	}

	w.deliver(t, billingtest.CheckoutCompleted("evt_c2", at(0), billingtest.Checkout{ID: "cs_2", Customer: "cus_ip", Email: "victim@[127.0.0.1]", Subscription: "sub_ip"}))
	out := w.drain(t)
	if len(out) != 1 || !queue.IsPermanent(out[0].err) {
		t.Fatalf("a checkout at an IP-literal address: %+v; want a permanent failure", out)
	}
	users, err := w.store.ListUsers(t.Context(), "", 10)
	if err != nil || len(users) != 1 {
		t.Fatalf("users after the checkouts: %d, %v; want only the victim's account", len(users), err)
	}
}

// An event whose payload the purge erased (it waited past its retention) fails for good with
// a message that says so and names the setting, instead of a parse error.
func TestEventWhosePayloadWasErasedFailsSayingWhy(t *testing.T) {
	ctx := t.Context()
	s, _ := sqlitetest.Open(t, sqlite.Options{})
	now := time.Date(2041, time.March, 14, 15, 0, 0, 0, time.UTC)
	proc, err := billing.NewProcessor(billing.ProcessorConfig{Store: s, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	job := billing.StripeEventJob("evt_late", "cus_1", 0)
	if _, err := s.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: "evt_late", Type: "checkout.session.completed",
		Payload: []byte(`{"id":"evt_late"}`), ReceivedAt: now.Add(-40 * 24 * time.Hour)}, job); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeStripePayloads(ctx, now.Add(-30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeStripePayloads = %d, %v", n, err)
	}
	_, err = proc.HandleEvent(ctx, job)
	if !queue.IsPermanent(err) || !strings.Contains(err.Error(), "erased") || !strings.Contains(err.Error(), "LAUNCHPAD_RETENTION_STRIPE_PAYLOADS") {
		t.Fatalf("HandleEvent of an erased event: %v; want a permanent error saying the payload was erased and naming the setting", err)
	}
	ev, err := s.GetStripeEvent(ctx, "evt_late")
	if err != nil || ev.ProcessedAt.IsZero() || !strings.Contains(ev.Error, "erased") {
		t.Fatalf("the event after processing: %+v, %v; want it marked done with the reason", ev, err)
	}
}
