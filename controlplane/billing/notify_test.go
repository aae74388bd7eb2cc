package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// mailerFunc is a launchpad.Mailer that calls itself. (The processor sends from the job
// handler, which the tests run on their own goroutine.)
type mailerFunc func(context.Context, launchpad.Message) error

func (f mailerFunc) Send(ctx context.Context, m launchpad.Message) error { return f(ctx, m) }

const dashboardURL = "https://launchpad.example/"

// Each move of a subscription that billing emails about sends exactly one email, and it is
// the overview's own notice for the state the move led to: the same title, words, deadline
// and action (notice.Mail of the state account.Reader reads from the store at that moment).
func TestLifecycleEmailsSayWhatTheOverviewSays(t *testing.T) {
	ended := at(time.Hour)
	endSubscription := func(t *testing.T, w *world) {
		w.deliver(t, billingtest.SubscriptionDeleted("evt_deleted", ended, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_Starter", PeriodStart: t0}))
		w.clock.Set(ended.Add(time.Minute))
		w.drainOK(t)
	}
	for _, tc := range []struct {
		name    string
		kind    notice.Kind
		arrange func(t *testing.T, w *world) // brings the account to the move; its emails are not counted
		move    func(t *testing.T, w *world)
	}{
		{name: "cancelled at the period's end", kind: notice.Cancelled, move: func(t *testing.T, w *world) {
			w.deliver(t, billingtest.SubscriptionUpdated("evt_cancel", at(time.Hour), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_Starter", PeriodStart: t0, CancelAtPeriodEnd: true}))
			w.clock.Set(at(time.Hour + time.Minute))
			w.drainOK(t)
		}},
		{name: "subscription ended", kind: notice.Cancelled, move: endSubscription},
		{name: "past due", kind: notice.PastDue, move: func(t *testing.T, w *world) {
			_, failedAt := w.renewalFails(t)
			w.clock.Set(failedAt.Add(time.Minute))
			w.drainOK(t)
		}},
		{name: "torn down", kind: notice.TornDown, arrange: endSubscription, move: func(t *testing.T, w *world) {
			w.clock.Set(ended.Add(retention))
			w.drainOK(t) // the lapse timer enqueues the destroy
			w.destroyTenant(t, ended.Add(retention+2*time.Minute))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent []launchpad.Message
			keep := mailerFunc(func(_ context.Context, m launchpad.Message) error { sent = append(sent, m); return nil })
			w := newWorldWith(t, nil, func(c *billing.ProcessorConfig) { c.Mailer, c.DashboardURL = keep, dashboardURL })
			w.subscribe(t)
			if err := w.store.CreateTenant(t.Context(), &launchpad.Tenant{AppName: "lp-hermes-u1-t1", UserID: "u1", Product: "hermes", Region: "ams", Plan: "starter", MachineState: "started"}); err != nil {
				t.Fatal(err)
			}
			if tc.arrange != nil {
				tc.arrange(t, w)
			}
			before := len(sent)
			tc.move(t, w)
			got := sent[before:]
			if len(got) != 1 {
				t.Fatalf("%d emails for the move, want one: %+v", len(got), got)
			}
			u := getUser(t, w.store, "u1")
			o, err := (&account.Reader{Store: w.store, Grace: grace, Retention: retention, Now: w.clock.Now}).Overview(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			if o.State.Kind != tc.kind {
				t.Fatalf("the overview's state is %q, want %q", o.State.Kind, tc.kind)
			}
			if want := notice.Mail(u.Email, o.State.Notice, dashboardURL); got[0] != want {
				t.Fatalf("the email is not the overview's notice:\n got %+v\nwant %+v", got[0], want)
			}
		})
	}
}

// destroyTenant runs the queued destroy as a worker would: the apply deletes the tenant and
// succeeds at finishedAt, and the queue tells the processor (Processor.Applied).
func (w *world) destroyTenant(t *testing.T, finishedAt time.Time) {
	t.Helper()
	ctx := t.Context()
	j, err := w.store.ClaimJob(ctx, launchpad.JobClaim{Worker: "test", Kinds: []string{launchpad.JobApply}, Lease: time.Minute, Now: finishedAt})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := launchpad.ParseApplyRequest(j.Payload); err != nil || !d.Destroy {
		t.Fatalf("the claimed apply is %+v (%v), want the destroy", d, err)
	}
	if err := w.store.DeleteTenant(ctx, "lp-hermes-u1-t1"); err != nil {
		t.Fatal(err)
	}
	if j, err = w.store.FinishJob(ctx, j.ID, "test", launchpad.JobResult{Status: launchpad.JobSucceeded}, finishedAt); err != nil {
		t.Fatal(err)
	}
	w.proc.Applied(ctx, j, finishedAt)
}
