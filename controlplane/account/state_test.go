package account

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Every account state is decided from the records alone, with its deadline and action, and
// the most pressing one wins.
func TestDecideEveryState(t *testing.T) {
	now := time.Date(2030, 3, 10, 12, 0, 0, 0, time.UTC)
	grace, retention := 72*time.Hour, 7*24*time.Hour
	tenant := &launchpad.Tenant{AppName: "lp-hermes-user1abc-abc", MachineState: launchpad.MachineStarted}
	periodEnd := now.Add(20 * 24 * time.Hour)
	active := launchpad.Subscription{Status: launchpad.StatusActive, Plan: "pro", CurrentPeriodEnd: periodEnd}
	cap10 := 10
	limit := 5.0
	job := func(status string, attempts int, errText string, destroy bool) *launchpad.Job {
		return &launchpad.Job{Kind: launchpad.JobApply, Status: status, Attempts: attempts, Error: errText, RunAfter: now.Add(time.Minute), FinishedAt: now.Add(-time.Hour),
			Payload: launchpad.ApplyRequest{UserID: "user1abc", Plan: "pro", Destroy: destroy, Reason: "test"}.Payload()}
	}
	with := func(f func(*launchpad.User)) *launchpad.User {
		u := &launchpad.User{ID: "user1abc", Plan: "pro", Subscription: active}
		f(u)
		return u
	}
	pastDueSince := now.Add(-24 * time.Hour)
	overdueSince := now.Add(-4 * 24 * time.Hour)
	canceledAt := now.Add(-2 * 24 * time.Hour)
	for _, c := range []struct {
		name     string
		o        Overview
		kind     notice.Kind
		deadline time.Time // zero: none
		href     string
		words    []string
	}{
		{"trial without agent", Overview{User: &launchpad.User{ID: "user1abc", Plan: launchpad.TrialPlan}}, notice.Trial, time.Time{}, notice.BillingPage, []string{"Choose a plan"}},
		{"provisioning", Overview{User: with(func(*launchpad.User) {}), LastApply: job(launchpad.JobRunning, 1, "", false)}, notice.Provisioning, time.Time{}, notice.AuditPage, []string{"creating your agent"}},
		{"paid, apply not queued yet", Overview{User: with(func(*launchpad.User) {})}, notice.Provisioning, time.Time{}, notice.AuditPage, nil},
		{"provisioning failing", Overview{User: with(func(*launchpad.User) {}), LastApply: job(launchpad.JobQueued, 2, "tofu: Error: 500 from flaps", false)},
			notice.ProvisionFailing, now.Add(time.Minute), notice.AuditPage, []string{"tries again by itself"}},
		{"running", Overview{User: with(func(*launchpad.User) {}), Tenants: []*launchpad.Tenant{tenant}}, notice.Running, periodEnd, notice.AgentURL(tenant.AppName), []string{"renews on"}},
		{"updating", Overview{User: with(func(*launchpad.User) {}), Tenants: []*launchpad.Tenant{tenant}, LastApply: job(launchpad.JobQueued, 0, "", false)}, notice.Updating, time.Time{}, notice.AuditPage, nil},
		{"hour-capped", Overview{User: with(func(*launchpad.User) {}), Tenants: []*launchpad.Tenant{tenant},
			Usage: metering.UsageSummary{HoursUsed: 10, HoursCap: &cap10, Capped: true, CappedAt: &now, CycleEnd: &periodEnd}}, notice.HourCapped, periodEnd, notice.BillingPage, []string{"10 machine hours"}},
		{"spend-capped", Overview{User: with(func(*launchpad.User) {}), Tenants: []*launchpad.Tenant{tenant}, SpendLimitReset: launchpad.LimitResetMonthly,
			Usage: metering.UsageSummary{SpendUSD: &limit, SpendLimitUSD: &limit, SpendExhausted: true}}, notice.SpendCapped, time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC), notice.BillingPage, []string{"$5.00 spend limit"}},
		{"past due", Overview{User: with(func(u *launchpad.User) {
			u.Subscription.Status, u.Subscription.PastDueSince = launchpad.StatusPastDue, pastDueSince
		}), Tenants: []*launchpad.Tenant{tenant}},
			notice.PastDue, pastDueSince.Add(grace), notice.BillingPage, []string{"keeps running until"}},
		{"suspended", Overview{User: with(func(u *launchpad.User) {
			u.Subscription.Status, u.Subscription.PastDueSince = launchpad.StatusPastDue, overdueSince
			u.Control.SuspendedAt = overdueSince.Add(grace)
		}), Tenants: []*launchpad.Tenant{tenant}}, notice.Suspended, overdueSince.Add(grace + retention), notice.BillingPage, []string{"starts again by itself", "deleted on"}},
		{"cancelled in retention", Overview{User: with(func(u *launchpad.User) {
			u.Plan, u.Subscription.Status, u.Subscription.CanceledAt = launchpad.TrialPlan, launchpad.StatusCanceled, canceledAt
		}), Tenants: []*launchpad.Tenant{tenant}}, notice.Cancelled, canceledAt.Add(retention), notice.BillingPage, []string{"subscribe again before then"}},
		{"cancelling at period end", Overview{User: with(func(u *launchpad.User) { u.Subscription.CancelAtPeriodEnd = true }), Tenants: []*launchpad.Tenant{tenant}},
			notice.Cancelled, periodEnd.Add(retention), notice.BillingPage, []string{"runs until then"}},
		{"torn down", Overview{User: with(func(u *launchpad.User) {
			u.Plan, u.Subscription.Status, u.Subscription.CanceledAt = launchpad.TrialPlan, launchpad.StatusCanceled, now.Add(-10*24*time.Hour)
		}), LastApply: job(launchpad.JobSucceeded, 1, "", true),
			Usage: metering.UsageSummary{SpendExhausted: true}}, notice.TornDown, time.Time{}, notice.BillingPage, []string{"were deleted on"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Decide(&c.o, Lifecycle{Now: now, Grace: grace, Retention: retention})
			if s.Kind != c.kind {
				t.Fatalf("state %q (%s), want %q", s.Kind, s.Title, c.kind)
			}
			switch {
			case c.deadline.IsZero() && s.Deadline != nil:
				t.Errorf("deadline %s, want none", s.Deadline)
			case !c.deadline.IsZero() && (s.Deadline == nil || !s.Deadline.Equal(c.deadline)):
				t.Errorf("deadline %v, want %s", s.Deadline, c.deadline)
			}
			if s.Action.Href != c.href || s.Action.Label == "" || s.Title == "" || s.Text == "" {
				t.Errorf("action %+v, title %q, text %q; want a labelled link to %s", s.Action, s.Title, s.Text, c.href)
			}
			if s.Deadline != nil && s.DeadlineLabel == "" {
				t.Errorf("a deadline without its label: %+v", s.Notice)
			}
			for _, w := range c.words {
				if !strings.Contains(s.Text+" "+s.Action.Label, w) {
					t.Errorf("the notice lacks %q: %s", w, s.Text)
				}
			}
			if strings.Contains(s.Text, "tofu") || strings.Contains(s.Text, "flaps") {
				t.Errorf("operator detail reached the customer's notice: %s", s.Text)
			}
		})
	}
}

// The warnings at 80% show beside the state, and stop once the cap is reached (the state then
// says it).
func TestDecideWarnsAt80Percent(t *testing.T) {
	now := time.Date(2030, 3, 10, 12, 0, 0, 0, time.UTC)
	cycleEnd := now.Add(24 * time.Hour)
	cap10, spent, limit := 10, 4.0, 5.0
	o := &Overview{User: &launchpad.User{ID: "user1abc", Plan: "pro", Subscription: launchpad.Subscription{Status: launchpad.StatusActive, Plan: "pro"}},
		Tenants: []*launchpad.Tenant{{AppName: "lp-a"}},
		Usage:   metering.UsageSummary{HoursUsed: 8.5, HoursCap: &cap10, CycleEnd: &cycleEnd, SpendUSD: &spent, SpendLimitUSD: &limit}}
	s := Decide(o, Lifecycle{Now: now})
	if s.Kind != notice.Running || len(s.Warnings) != 2 || s.Warnings[0].Kind != notice.HoursWarning || s.Warnings[1].Kind != notice.SpendWarning {
		t.Fatalf("state %q with warnings %+v; want running with the hours and the spend warning", s.Kind, s.Warnings)
	}
	if !strings.Contains(s.Warnings[0].Title, "85%") || !strings.Contains(s.Warnings[1].Title, "80%") {
		t.Errorf("warning titles %q, %q", s.Warnings[0].Title, s.Warnings[1].Title)
	}
	o.Usage.HoursUsed, o.Usage.Capped = 10, true
	spent = 3.9
	if s := Decide(o, Lifecycle{Now: now}); s.Kind != notice.HourCapped || len(s.Warnings) != 0 {
		t.Errorf("capped: state %q with %d warnings; want hour_capped alone", s.Kind, len(s.Warnings))
	}
}

// An email for a state carries the notice's own words, its deadline and its action.
func TestMailHasTheNoticeWords(t *testing.T) {
	deleteAt := time.Date(2030, 3, 17, 12, 0, 0, 0, time.UTC)
	n := notice.CancelledNotice(time.Date(2030, 3, 10, 12, 0, 0, 0, time.UTC), deleteAt, deleteAt.Add(-time.Hour))
	m := notice.Mail("ada@example.com", n, "https://launchpad.example/")
	for _, want := range []string{n.Text, "Deleted on: 17 Mar 2030, 12:00 UTC", n.Action.Label + ": https://launchpad.example/billing"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the email lacks %q:\n%s", want, m.Text)
		}
	}
	if m.Subject != "Launchpad: "+n.Title || m.To != "ada@example.com" {
		t.Errorf("subject %q to %q", m.Subject, m.To)
	}
}
