package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// stateCase is one account state set up by writing the store, and what the overview must
// then show: its notice (kind, words), its deadline and its one action.
type stateCase struct {
	name     string
	setup    func(t *testing.T)
	kind     string
	title    string
	words    []string // in the notice's text
	deadline string   // the deadline's label and time as shown; "" when the state has none
	action   string   // the action's label
	href     string   // where it leads (a prefix)
	agent    bool     // whether the agent card shows
}

// Every account state, walked in one browser against one server at 1280 and 390 px: each
// shows its one notice with its deadline and action, and no card that contradicts it. The
// overview also moves by itself, without a reload, when a change starts and ends.
func TestBrowserAccountStates(t *testing.T) {
	w, tn, ctx := signedIn(t, "margaret@example.com")
	bg := context.Background()
	now := time.Now().UTC()
	user := func(f func(u *launchpad.User)) {
		t.Helper()
		if _, err := w.store.UpdateUser(bg, tn.userID, func(u *launchpad.User) error { f(u); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	active := func(u *launchpad.User) {
		u.Plan = planPro
		u.Subscription = launchpad.Subscription{Status: launchpad.StatusActive, Plan: planPro, StripeCustomerID: "cus_" + tn.userID,
			CurrentPeriodStart: now.Add(-24 * time.Hour), CurrentPeriodEnd: now.Add(29 * 24 * time.Hour)}
		u.Control.SuspendedAt = time.Time{}
		u.Usage.CappedAt = time.Time{}
		u.Usage.MachineSeconds = 3.5 * 3600
	}
	when := func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }
	renews := now.Add(29 * 24 * time.Hour)
	pastDueSince := now.Add(-2 * time.Hour).Truncate(time.Second)
	overdueSince := now.Add(-4 * 24 * time.Hour).Truncate(time.Second)
	canceledAt := now.Add(-24 * time.Hour).Truncate(time.Second)
	grace, retention := launchpad.DefaultPastDueGrace, launchpad.DefaultVolumeRetention
	var job *launchpad.Job

	// Live: with the overview open, a change starts and ends, and the page follows it.
	run(t, ctx, chromedp.Navigate(w.url+"/"), visible(`#state[data-kind="running"]`))
	js[bool](t, ctx, `window.__notReloaded = true`)
	job = w.enqueueApply(tn.userID)
	run(t, ctx, visible(`#state[data-kind="updating"] #state-steps`))
	mustContain(t, "live steps", textOf(t, ctx, "#state-steps"), "Waiting to start", "Applying the change to your agent")
	w.finishApply(job, launchpad.JobSucceeded, "")
	run(t, ctx, visible(`#state[data-kind="running"]`))
	if !js[bool](t, ctx, `window.__notReloaded === true`) {
		t.Error("the overview reloaded: it did not update itself")
	}

	cases := []stateCase{
		{name: "running", setup: func(*testing.T) {}, kind: "running", title: "Your agent is running",
			deadline: "Renews on: " + when(renews), action: "Open your agent", href: "https://" + tn.app + ".fly.dev", agent: true},
		{name: "hour-capped", setup: func(*testing.T) {
			user(func(u *launchpad.User) { u.Usage.MachineSeconds, u.Usage.CappedAt = proHours*3600, now.Add(-time.Hour) })
		}, kind: "hour_capped", title: "Machine hours used up", words: []string{"10 machine hours"},
			deadline: "Starts again on: ", action: "Move to a plan with more hours", href: "/billing", agent: true},
		{name: "updating", setup: func(*testing.T) {
			user(active)
			job = w.enqueueApply(tn.userID)
		}, kind: "updating", title: "A change to your agent is being applied", action: "Follow each step in the audit log", href: "/audit", agent: true},
		{name: "past due", setup: func(*testing.T) {
			w.finishApply(job, launchpad.JobSucceeded, "")
			user(func(u *launchpad.User) {
				u.Subscription.Status, u.Subscription.PastDueSince = launchpad.StatusPastDue, pastDueSince
			})
		}, kind: "past_due", title: "A payment failed", words: []string{"failed on " + when(pastDueSince)},
			deadline: "Machine stops on: " + when(pastDueSince.Add(grace)), action: "Update your payment method", href: "/billing", agent: true},
		{name: "suspended", setup: func(*testing.T) {
			user(func(u *launchpad.User) {
				u.Subscription.PastDueSince, u.Control.SuspendedAt = overdueSince, overdueSince.Add(grace)
			})
		}, kind: "suspended", title: "Your agent is stopped: a payment is overdue", words: []string{"starts again by itself", "still unpaid"},
			deadline: "Deleted on: " + when(overdueSince.Add(grace+retention)), action: "Pay the open invoice", href: "/billing", agent: true},
		{name: "cancelling", setup: func(*testing.T) {
			user(func(u *launchpad.User) { active(u); u.Subscription.CancelAtPeriodEnd = true })
		}, kind: "cancelled", title: "Your subscription is cancelled", words: []string{"ends on " + when(renews), "runs until then"},
			deadline: "Deleted on: " + when(renews.Add(retention)), action: "Renew your subscription", href: "/billing", agent: true},
		{name: "cancelled in retention", setup: func(*testing.T) {
			user(func(u *launchpad.User) {
				u.Plan, u.Subscription.Status, u.Subscription.CanceledAt, u.Subscription.CancelAtPeriodEnd = launchpad.TrialPlan, launchpad.StatusCanceled, canceledAt, false
			})
		}, kind: "cancelled", title: "Your subscription has ended", words: []string{"ended on " + when(canceledAt), "subscribe again before then"},
			deadline: "Deleted on: " + when(canceledAt.Add(retention)), action: "Subscribe again to keep your agent", href: "/billing", agent: true},
		{name: "spend-capped", setup: func(t *testing.T) {
			user(active)
			if status := w.spendUntilRefused(tn); status != 402 && status != 403 {
				t.Fatalf("the gateway refused the spent key with %d", status)
			}
		}, kind: "spend_capped", title: "Model spend limit reached", words: []string{"$5.00 spend limit", "402 Payment Required"},
			deadline: "Limit comes back on: " + when(time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)), action: "Move to a larger plan", href: "/billing", agent: true},
		{name: "provisioning failing", setup: func(*testing.T) {
			if err := w.store.DeleteTenant(bg, tn.app); err != nil {
				t.Fatal(err)
			}
			job = w.enqueueApply(tn.userID)
			w.finishApply(job, launchpad.JobFailed, "tofu: Error: creating machine: 500 Internal Server Error from flaps")
		}, kind: "provisioning_failing", title: "Setting up your agent is taking longer", words: []string{"tries again by itself", "nothing is needed from you"},
			deadline: "Next attempt: ", action: "See what happened in the audit log", href: "/audit"},
		{name: "provisioning", setup: func(*testing.T) {
			job = w.enqueueApply(tn.userID)
			w.claimApply(job)
		}, kind: "provisioning", title: "Your agent is being created", words: []string{"a minute or two"}, action: "Follow each step in the audit log", href: "/audit"},
		{name: "torn down", setup: func(*testing.T) {
			w.finishApply(job, launchpad.JobSucceeded, "")
			user(func(u *launchpad.User) {
				u.Plan, u.Subscription.Status, u.Subscription.CanceledAt = launchpad.TrialPlan, launchpad.StatusCanceled, now.Add(-10*24*time.Hour)
			})
		}, kind: "torn_down", title: "Your agent was deleted", words: []string{"Nothing of them is kept"}, action: "Choose a plan", href: "/billing"},
		{name: "trial", setup: func(*testing.T) {
			user(func(u *launchpad.User) { u.Plan, u.Subscription = launchpad.TrialPlan, launchpad.Subscription{} })
		}, kind: "trial", title: "You have no agent yet", words: []string{"Choose a plan"}, action: "Choose a plan", href: "/billing"},
	}
	for _, c := range cases {
		c.setup(t)
		for _, width := range []int64{1280, 390} {
			t.Run(fmt.Sprintf("%s at %d px", c.name, width), func(t *testing.T) {
				if width == 390 {
					run(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
				} else {
					run(t, ctx, chromedp.EmulateViewport(1280, 1000))
				}
				run(t, ctx, chromedp.Navigate(w.url+"/"), visible(`#state[data-kind="`+c.kind+`"]`))
				checkState(t, ctx, c, tn.app)
				if js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
					t.Errorf("the overview scrolls sideways at %d px", width)
				}
				screenshot(t, ctx, fmt.Sprintf("state-%s-%d", strings.ReplaceAll(c.name, " ", "-"), width))
			})
		}
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 1000))
}

// checkState checks the overview against c: one notice with c's words, deadline and action,
// and nothing beside it that says otherwise.
func checkState(t *testing.T, ctx context.Context, c stateCase, app string) {
	t.Helper()
	if n := js[int](t, ctx, `document.querySelectorAll("#state").length`); n != 1 {
		t.Fatalf("%d state notices, want exactly one", n)
	}
	mustContain(t, "state title", textOf(t, ctx, "#state-title"), c.title)
	mustContain(t, "state text", textOf(t, ctx, "#state-text"), c.words...)
	hasDeadline := js[bool](t, ctx, `!!document.querySelector("#state-deadline")`)
	switch {
	case c.deadline == "" && hasDeadline:
		t.Errorf("a deadline shows for a state without one: %q", textOf(t, ctx, "#state-deadline"))
	case c.deadline != "" && !hasDeadline:
		t.Errorf("no deadline; want %q", c.deadline)
	case c.deadline != "":
		mustContain(t, "deadline", textOf(t, ctx, "#state-deadline"), c.deadline)
	}
	if label := textOf(t, ctx, "#state-action"); label != c.action {
		t.Errorf("action %q, want %q", label, c.action)
	}
	if href := attr(t, ctx, "#state-action", "href"); !strings.HasPrefix(href, c.href) {
		t.Errorf("action leads to %q, want %q", href, c.href)
	}

	// No contradictory card: the agent card shows only with an agent, the usage bars only
	// with an agent, no second cap or "no agent" notice, and no raw Stripe status or apply
	// error anywhere.
	main := textOf(t, ctx, "main")
	if card := js[bool](t, ctx, `!!document.querySelector("#agent-title")`); card != c.agent {
		t.Errorf("agent card shown: %v, want %v", card, c.agent)
	}
	if meters := js[int](t, ctx, `document.querySelectorAll("meter").length`); (meters > 0) != c.agent {
		t.Errorf("%d usage meters with agent %v", meters, c.agent)
	}
	for kind, words := range map[string]string{"spend_capped": "Model spend limit reached", "hour_capped": "Machine hours used up", "trial": "You have no agent yet"} {
		if kind != c.kind && strings.Contains(main, words) {
			t.Errorf("%q shows in state %s", words, c.kind)
		}
	}
	for _, raw := range []string{"past_due", "canceled", "queued", "tofu", "flaps", "500 Internal"} {
		if strings.Contains(main, raw) {
			t.Errorf("the overview shows %q:\n%s", raw, main)
		}
	}
	if !c.agent && strings.Contains(main, app) {
		t.Errorf("the overview names the app %s with no agent", app)
	}
	// One plan name, written one way: the usage card's.
	if plans := js[string](t, ctx, `[...document.querySelectorAll("#plan-name")].map(e => e.textContent).join("|")`); plans != "Pro" && plans != "Trial" {
		t.Errorf("plan named %q", plans)
	}
}

// The billing page says the subscription's state in words, with the overview's notice when
// it is about billing, and lists the plans side by side.
func TestBrowserBillingStates(t *testing.T) {
	w, tn, ctx := signedIn(t, "katherine@example.com")
	bg := context.Background()
	run(t, ctx, chromedp.Navigate(w.url+"/billing"), visible("#plans"))
	mustContain(t, "billing", textOf(t, ctx, "main"), "Your plan: Pro", "Active: renews on", "10 machine hours per cycle", "$5.00 of model spend per month")
	if js[int](t, ctx, `document.querySelectorAll("#state").length`) != 0 {
		t.Error("a billing notice shows for a subscription in good standing")
	}
	if _, err := w.store.UpdateUser(bg, tn.userID, func(u *launchpad.User) error {
		u.Plan, u.Subscription.Status, u.Subscription.CanceledAt = launchpad.TrialPlan, launchpad.StatusCanceled, time.Now().Add(-time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{1280, 390} {
		run(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Reload(), visible(`#state[data-kind="cancelled"]`))
		main := textOf(t, ctx, "main")
		mustContain(t, "cancelled billing", main, "Cancelled: ended on", "Deleted on:", "Your plan: Trial")
		for _, raw := range []string{"canceled", "renews on"} {
			if strings.Contains(main, raw) {
				t.Errorf("the billing page of a cancelled subscription says %q:\n%s", raw, main)
			}
		}
		screenshot(t, ctx, fmt.Sprintf("billing-cancelled-%d", width))
	}
}

// enqueueApply queues an apply of the user's tenant, as billing does.
func (w *world) enqueueApply(userID string) *launchpad.Job {
	w.t.Helper()
	j, err := w.store.EnqueueJob(context.Background(), &launchpad.Job{Kind: launchpad.JobApply, Key: userID,
		Payload: launchpad.ApplyRequest{UserID: userID, Plan: planPro, Reason: launchpad.ReasonSubscription}.Payload()})
	if err != nil {
		w.t.Fatal(err)
	}
	return j
}

// claimApply makes the job running, as a worker does.
func (w *world) claimApply(j *launchpad.Job) {
	w.t.Helper()
	got, err := w.store.ClaimJob(context.Background(), launchpad.JobClaim{Worker: "browser-test", Kinds: []string{launchpad.JobApply}, Lease: time.Hour, Now: time.Now()})
	if err != nil || got.ID != j.ID {
		w.t.Fatalf("claiming apply %s: %v (got %+v)", j.ID, err, got)
	}
}

// finishApply claims the job (if queued) and finishes it with status; a failed job is put
// back for a retry a minute later, as the queue does with attempts left.
func (w *world) finishApply(j *launchpad.Job, status, errText string) {
	w.t.Helper()
	ctx := context.Background()
	if cur, err := w.store.GetJob(ctx, j.ID); err != nil {
		w.t.Fatal(err)
	} else if cur.Status == launchpad.JobQueued {
		w.claimApply(j)
	}
	res := launchpad.JobResult{Status: status, Error: errText}
	if status == launchpad.JobFailed {
		res.RetryAt = time.Now().Add(time.Minute)
	}
	if _, err := w.store.FinishJob(ctx, j.ID, "browser-test", res, time.Now()); err != nil {
		w.t.Fatal(err)
	}
}
