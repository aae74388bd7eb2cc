package account

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// State is the account's one state as the customer is told it: the one notice (with its
// deadline and action) every page and GET /api/me show, the steps of a change being applied,
// and the warnings of a cap nearly reached. It is decided in one place (Decide) so no two
// cards of the overview can contradict each other.
type State struct {
	notice.Notice
	// Steps are the steps of the agent's creation or change while one runs (or failed).
	Steps []Step `json:"steps,omitempty"`
	// Warnings are the caps at or past 80% that are not reached yet.
	Warnings []notice.Notice `json:"warnings,omitempty"`
}

// Step is one step of an apply, as the overview lists it.
type Step struct {
	Label  string `json:"label"`
	Status string `json:"status"` // done, current, pending or failed
}

// Step statuses.
const (
	StepDone    = "done"
	StepCurrent = "current"
	StepPending = "pending"
	StepFailed  = "failed"
)

// Lifecycle is what deciding a state needs besides the overview: the clock and billing's
// grace and retention (zero means launchpad's defaults).
type Lifecycle struct {
	Now       time.Time
	Grace     time.Duration
	Retention time.Duration
}

func (l Lifecycle) grace() time.Duration {
	if l.Grace > 0 {
		return l.Grace
	}
	return launchpad.DefaultPastDueGrace
}

func (l Lifecycle) retention() time.Duration {
	if l.Retention > 0 {
		return l.Retention
	}
	return launchpad.DefaultVolumeRetention
}

// Decide is o's state at l.Now. The most pressing state wins: the agent's deletion or its
// coming deletion, a stop for non-payment, a failed payment, a failing or running apply, a
// cap that stopped something; else the agent runs (or the account is on the trial).
func Decide(o *Overview, l Lifecycle) State {
	u, sub, now := o.User, o.User.Subscription, l.Now
	var t *launchpad.Tenant
	if len(o.Tenants) > 0 {
		t = o.Tenants[0]
	}
	lapse, destroyAt := sub.Lapse(l.grace(), l.retention())
	lapsed := !lapse.IsZero() && !now.Before(lapse)
	job := o.LastApply
	active := job != nil && (job.Status == launchpad.JobQueued || job.Status == launchpad.JobRunning)
	destroying := false
	if job != nil {
		d, err := launchpad.ParseApplyRequest(job.Payload)
		destroying = err == nil && d.Destroy
	}

	var s State
	switch {
	case t == nil && (lapsed || (destroying && job.Status == launchpad.JobSucceeded)):
		var deletedAt time.Time
		if destroying && job.Status == launchpad.JobSucceeded {
			deletedAt = job.FinishedAt
		}
		s.Notice = notice.TornDownNotice(deletedAt)
	case t != nil && launchpad.SubscriptionEnded(sub.Status), t != nil && sub.Status == launchpad.StatusPaused:
		s.Notice = notice.CancelledNotice(lapse, destroyAt, now)
	case t != nil && sub.CancelAtPeriodEnd && launchpad.SubscriptionRunning(sub.Status) && !sub.CurrentPeriodEnd.IsZero():
		s.Notice = notice.CancelledNotice(sub.CurrentPeriodEnd, sub.CurrentPeriodEnd.Add(l.retention()), now)
	case !u.Control.SuspendedAt.IsZero() || (lapsed && (sub.Status == launchpad.StatusPastDue || sub.Status == launchpad.StatusUnpaid)):
		stopped := u.Control.SuspendedAt
		if stopped.IsZero() {
			stopped = lapse
		}
		s.Notice = notice.SuspendedNotice(pastDueSince(sub), stopped, destroyAt)
	case sub.Status == launchpad.StatusPastDue || sub.Status == launchpad.StatusUnpaid:
		s.Notice = notice.PastDueNotice(pastDueSince(sub), lapse)
	case job != nil && failing(job):
		var retryAt time.Time
		if active {
			retryAt = job.RunAfter
		}
		s.Notice = notice.ProvisionFailingNotice(t != nil, retryAt)
		s.Steps = steps(job, t != nil, true)
	case active && t == nil, t == nil && launchpad.SubscriptionRunning(sub.Status) && sub.Plan != "":
		s.Notice = notice.ProvisioningNotice()
		s.Steps = steps(job, false, false)
	case active:
		s.Notice = notice.UpdatingNotice()
		s.Steps = steps(job, true, false)
	case t != nil && o.Usage.Capped:
		s.Notice = notice.HourCappedNotice(deref(o.Usage.HoursCap), deref(o.Usage.CappedAt), deref(o.Usage.CycleEnd))
	case t != nil && o.Usage.SpendExhausted:
		s.Notice = notice.SpendCappedNotice(o.Usage.SpendLimitUSD, o.spendResetsAt(now))
	case t != nil && (launchpad.SubscriptionRunning(sub.Status) || (sub.Status == "" && u.Plan != launchpad.TrialPlan)):
		s.Notice = notice.RunningNotice(t.AppName, sub.CurrentPeriodEnd)
	default:
		app := ""
		if t != nil {
			app = t.AppName
		}
		s.Notice = notice.TrialNotice(app)
	}
	if t != nil && !lapsed && u.Control.SuspendedAt.IsZero() {
		s.Warnings = o.warnings(now)
	}
	return s
}

// warnings are the caps at or past 80% and not reached.
func (o *Overview) warnings(now time.Time) []notice.Notice {
	var out []notice.Notice
	u := o.Usage
	if u.HoursCap != nil && !u.Capped && u.HoursUsed < float64(*u.HoursCap) && notice.Warned(u.HoursUsed, float64(*u.HoursCap)) {
		out = append(out, notice.HoursWarningNotice(u.HoursUsed, *u.HoursCap, deref(u.CycleEnd)))
	}
	if u.SpendUSD != nil && u.SpendLimitUSD != nil && !u.SpendExhausted && notice.Warned(*u.SpendUSD, *u.SpendLimitUSD) {
		out = append(out, notice.SpendWarningNotice(*u.SpendUSD, *u.SpendLimitUSD, o.spendResetsAt(now)))
	}
	return out
}

// spendResetsAt is when OpenRouter restores the key's limit by itself; nil when never.
func (o *Overview) spendResetsAt(now time.Time) *time.Time {
	if at, ok := notice.NextLimitReset(o.SpendLimitReset, now); ok {
		return &at
	}
	return nil
}

// failing reports whether an apply failed for good, or failed and waits for its retry.
func failing(j *launchpad.Job) bool {
	return j.Status == launchpad.JobFailed || (j.Status == launchpad.JobQueued && j.Attempts > 0 && j.Error != "")
}

// steps are an apply's steps in words: queued, planning and applying, then the agent
// starting. failed marks the step it stopped at.
func steps(j *launchpad.Job, hasAgent, failed bool) []Step {
	labels := []string{"Subscription active", "Waiting to start", "Creating the app, network, volume and machine", "Agent started"}
	if hasAgent {
		labels = []string{"Change requested", "Waiting to start", "Applying the change to your agent", "Agent running again"}
	}
	current := 1 // queued
	if j != nil && (j.Status == launchpad.JobRunning || failed) {
		current = 2
	}
	out := make([]Step, len(labels))
	for i, l := range labels {
		out[i] = Step{Label: l, Status: StepPending}
		switch {
		case i < current:
			out[i].Status = StepDone
		case i == current && failed:
			out[i].Status = StepFailed
		case i == current:
			out[i].Status = StepCurrent
		}
	}
	return out
}

func pastDueSince(sub launchpad.Subscription) time.Time {
	if !sub.PastDueSince.IsZero() {
		return sub.PastDueSince
	}
	return sub.EventCreated
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
