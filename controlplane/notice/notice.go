// Package notice holds the words of every account state Launchpad tells a customer: one
// title, one plain sentence or two, one deadline and one action per state. The dashboard's
// overview, GET /api/me and the emails sent for a state all take their words from here, so
// the page and the email a customer reads say the same thing.
package notice

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Kind names an account state.
type Kind string

// Account states, from the most to the least pressing.
const (
	TornDown          Kind = "torn_down"            // the subscription ended and the agent was deleted
	Cancelled         Kind = "cancelled"            // ended or ending; the agent is kept until its deletion date
	Suspended         Kind = "suspended"            // unpaid beyond the grace: machine held stopped
	PastDue           Kind = "past_due"             // a payment failed; the agent runs until the grace ends
	ProvisionFailing  Kind = "provisioning_failing" // the newest apply failed (and is retried)
	Provisioning      Kind = "provisioning"         // the agent is being created
	Updating          Kind = "updating"             // a change to the agent is being applied
	HourCapped        Kind = "hour_capped"          // the cycle's machine hours are used: machine stopped
	SpendCapped       Kind = "spend_capped"         // the model key's spend limit is reached
	Running           Kind = "running"              // all is well
	Trial             Kind = "trial"                // no paid subscription
	HoursWarning      Kind = "hours_warning"        // 80% of the cycle's machine hours used (a warning, not a state)
	SpendWarning      Kind = "spend_warning"        // 80% of the model spend limit used (a warning, not a state)
	WarningPercentage      = 80
)

// Notice is what a customer is told about one state.
type Notice struct {
	Kind  Kind   `json:"kind"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Deadline is the one date that matters in this state (when the machine stops, the agent
	// is deleted, the limit comes back…), said by DeadlineLabel; nil when there is none.
	Deadline      *time.Time `json:"deadline,omitempty"`
	DeadlineLabel string     `json:"deadline_label,omitempty"`
	Action        Action     `json:"action"`
	// Tone is how loudly the page shows it: "alert" (the agent is or will be stopped or
	// deleted), "warn" (something needs watching) or "info".
	Tone string `json:"tone"`
}

// Action is the one thing the customer can do about a state: a link.
type Action struct {
	Label string `json:"label"`
	Href  string `json:"href"`
}

// Pages an action links to, relative to the dashboard.
const (
	BillingPage = "/billing"
	AuditPage   = "/audit"
)

// When formats a time as every notice and email does: UTC, with the zone named.
func When(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// Day formats a date as every notice and email does.
func Day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func at(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// AgentURL is where a tenant's agent answers on Fly.
func AgentURL(app string) string { return "https://" + app + ".fly.dev" }

// PlanName is how a plan is named everywhere a customer reads it: its display name, else its
// name. p may be nil (the plan record is gone): name is shown then.
func PlanName(p *launchpad.Plan, name string) string {
	if p != nil {
		if p.DisplayName != "" {
			return p.DisplayName
		}
		name = p.Name
	}
	if name == "" {
		name = launchpad.TrialPlan
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// TornDownNotice: the subscription ended and the agent and its volume were deleted (at
// deletedAt, zero when unknown).
func TornDownNotice(deletedAt time.Time) Notice {
	text := "Your subscription ended and its retention period passed, so your agent and its workspace volume were deleted. Nothing of them is kept."
	if !deletedAt.IsZero() {
		text = fmt.Sprintf("Your subscription ended and its retention period passed, so your agent and its workspace volume were deleted on %s. Nothing of them is kept.", When(deletedAt))
	}
	return Notice{Kind: TornDown, Title: "Your agent was deleted", Text: text + " A new subscription starts a new, empty agent.",
		Action: Action{"Choose a plan", BillingPage}, Tone: "alert"}
}

// CancelledNotice: the subscription ended at endsAt (or ends then, when it is set to cancel
// at the period's end and endsAt is still ahead of now); the agent and its volume are
// deleted at deleteAt.
func CancelledNotice(endsAt, deleteAt, now time.Time) Notice {
	n := Notice{Kind: Cancelled, Deadline: at(deleteAt), DeadlineLabel: "Deleted on",
		Action: Action{"Subscribe again to keep your agent", BillingPage}, Tone: "alert"}
	if endsAt.After(now) {
		n.Title = "Your subscription is cancelled"
		n.Text = fmt.Sprintf("Your subscription is cancelled and ends on %s. Your agent runs until then; it and its workspace volume are deleted on %s. To keep them, renew your subscription before %s.",
			When(endsAt), When(deleteAt), When(endsAt))
		n.Action.Label = "Renew your subscription"
		n.Tone = "warn"
		return n
	}
	n.Title = "Your subscription has ended"
	n.Text = fmt.Sprintf("Your subscription ended on %s. Your agent and its workspace volume are kept until %s, then deleted for good. To keep them, subscribe again before then.",
		When(endsAt), When(deleteAt))
	return n
}

// SuspendedNotice: a payment failed at since, stayed unpaid beyond the grace, and the machine
// was stopped at stoppedAt; the agent is deleted at deleteAt unless paid.
func SuspendedNotice(since, stoppedAt, deleteAt time.Time) Notice {
	return Notice{Kind: Suspended, Title: "Your agent is stopped: a payment is overdue",
		Text: fmt.Sprintf("The payment for your subscription failed on %s and is still unpaid, so your agent's machine was stopped on %s. It starts again by itself a few minutes after the invoice is paid. If it stays unpaid, your agent and its workspace volume are deleted on %s.",
			When(since), When(stoppedAt), When(deleteAt)),
		Deadline: at(deleteAt), DeadlineLabel: "Deleted on",
		Action: Action{"Pay the open invoice", BillingPage}, Tone: "alert"}
}

// PastDueNotice: a payment failed at since; the machine stops at stopsAt if still unpaid.
func PastDueNotice(since, stopsAt time.Time) Notice {
	return Notice{Kind: PastDue, Title: "A payment failed",
		Text: fmt.Sprintf("The payment for your subscription failed on %s. Your agent keeps running until %s; if the invoice is still unpaid then, its machine is stopped.",
			When(since), When(stopsAt)),
		Deadline: at(stopsAt), DeadlineLabel: "Machine stops on",
		Action: Action{"Update your payment method", BillingPage}, Tone: "alert"}
}

// ProvisionFailingNotice: the newest apply failed; hasAgent says whether an agent exists
// (the change failed, the agent runs as before) or not (it could not be created yet).
// retryAt is the next attempt, zero when Launchpad stopped retrying.
func ProvisionFailingNotice(hasAgent bool, retryAt time.Time) Notice {
	n := Notice{Kind: ProvisionFailing, Action: Action{"See what happened in the audit log", AuditPage}, Tone: "warn"}
	what := "Creating your agent did not work yet"
	if hasAgent {
		what = "A change to your agent did not apply; your agent runs as it was before"
	}
	if retryAt.IsZero() {
		n.Title = "Your agent could not be set up"
		n.Text = what + ". Launchpad has stopped retrying and the operators have the details; nothing you did caused it, and nothing is needed from you."
		return n
	}
	n.Title = "Setting up your agent is taking longer"
	n.Text = what + ". Launchpad tries again by itself; nothing is needed from you."
	n.Deadline, n.DeadlineLabel = at(retryAt), "Next attempt"
	return n
}

// ProvisioningNotice: the agent is being created.
func ProvisioningNotice() Notice {
	return Notice{Kind: Provisioning, Title: "Your agent is being created",
		Text:   "Launchpad is creating your agent's app, private network, encrypted volume and machine. It usually takes a minute or two; this page follows each step.",
		Action: Action{"Follow each step in the audit log", AuditPage}, Tone: "info"}
}

// UpdatingNotice: a change (a new plan, a rotated key, a rebuild) is being applied.
func UpdatingNotice() Notice {
	return Notice{Kind: Updating, Title: "A change to your agent is being applied",
		Text:   "Launchpad is applying a change to your agent (a plan change, a new key or a rebuild). Your agent may restart once; this page follows each step.",
		Action: Action{"Follow each step in the audit log", AuditPage}, Tone: "info"}
}

// HourCappedNotice: the cycle's hoursCap machine hours are used (at cappedAt); the machine
// starts again when the cycle ends at cycleEnd.
func HourCappedNotice(hoursCap int, cappedAt, cycleEnd time.Time) Notice {
	text := fmt.Sprintf("Your agent's machine ran the %d machine hours your plan includes this billing cycle, so it was stopped", hoursCap)
	if hoursCap == 0 {
		text = "Your plan includes no machine hours, so your agent's machine was stopped"
	}
	if !cappedAt.IsZero() {
		text += " on " + When(cappedAt)
	}
	return Notice{Kind: HourCapped, Title: "Machine hours used up",
		Text:     text + fmt.Sprintf(". It starts again by itself when the next cycle begins on %s, or at once on a plan with more hours. Your workspace volume is kept as it is.", When(cycleEnd)),
		Deadline: at(cycleEnd), DeadlineLabel: "Starts again on",
		Action: Action{"Move to a plan with more hours", BillingPage}, Tone: "alert"}
}

// SpendCappedNotice: the model key's limitUSD spend limit is reached; the limit comes back
// at resetAt (nil when it never does by itself).
func SpendCappedNotice(limitUSD *float64, resetAt *time.Time) Notice {
	limit := "its spend limit"
	if limitUSD != nil {
		limit = fmt.Sprintf("its $%.2f spend limit", *limitUSD)
	}
	n := Notice{Kind: SpendCapped, Title: "Model spend limit reached",
		Text:   "Your agent's model key has used " + limit + ", so its model requests are refused — answered 402 Payment Required or 403 Forbidden — and your agent cannot reply.",
		Action: Action{"Move to a larger plan", BillingPage}, Tone: "alert"}
	if resetAt != nil {
		n.Text += fmt.Sprintf(" Move to a larger plan, whose limit reaches the same key within minutes, or wait: the limit comes back on %s, when the model provider resets it (at 00:00 UTC, not on your billing date).", When(*resetAt))
		n.Deadline, n.DeadlineLabel = at(*resetAt), "Limit comes back on"
	} else {
		n.Text += " This key's limit does not come back by itself: a larger plan raises it within minutes."
	}
	return n
}

// RunningNotice: all is well; renewsAt is the subscription's renewal (zero when unknown).
func RunningNotice(app string, renewsAt time.Time) Notice {
	n := Notice{Kind: Running, Title: "Your agent is running", Text: "Your agent is up and nothing needs your attention.",
		Action: Action{"Open your agent", AgentURL(app)}, Tone: "info"}
	if !renewsAt.IsZero() {
		n.Text += fmt.Sprintf(" Your subscription renews on %s.", Day(renewsAt))
		n.Deadline, n.DeadlineLabel = at(renewsAt), "Renews on"
	}
	return n
}

// TrialNotice: no paid subscription; app is the trial agent's app, "" when there is none.
func TrialNotice(app string) Notice {
	if app == "" {
		return Notice{Kind: Trial, Title: "You have no agent yet",
			Text:   "You are on the free trial, which comes without an agent of your own. Choose a plan: your agent is created a minute or two after your subscription starts.",
			Action: Action{"Choose a plan", BillingPage}, Tone: "info"}
	}
	return Notice{Kind: Trial, Title: "You are on the free trial",
		Text:   "Your agent runs on the trial plan, with its small limits. A paid plan gives it more machine hours and model spend, with nothing to reinstall.",
		Action: Action{"Choose a plan", BillingPage}, Tone: "info"}
}

// HoursWarningNotice: used of hoursCap machine hours are gone; at the cap the machine stops
// until cycleEnd.
func HoursWarningNotice(used float64, hoursCap int, cycleEnd time.Time) Notice {
	return Notice{Kind: HoursWarning, Title: fmt.Sprintf("%d%% of this cycle's machine hours used", percent(used, float64(hoursCap))),
		Text: fmt.Sprintf("Your agent's machine has run %.1f of the %d hours your plan includes this cycle. At %d its machine stops until the next cycle begins on %s.",
			used, hoursCap, hoursCap, When(cycleEnd)),
		Deadline: at(cycleEnd), DeadlineLabel: "Cycle ends on",
		Action: Action{"Move to a plan with more hours", BillingPage}, Tone: "warn"}
}

// SpendWarningNotice: spent of limit dollars of model spend are gone.
func SpendWarningNotice(spent, limit float64, resetAt *time.Time) Notice {
	n := Notice{Kind: SpendWarning, Title: fmt.Sprintf("%d%% of the model spend limit used", percent(spent, limit)),
		Text: fmt.Sprintf("Your agent's model key has spent $%.2f of its $%.2f limit. At the limit its model requests are refused and your agent cannot reply.",
			spent, limit),
		Action: Action{"Move to a larger plan", BillingPage}, Tone: "warn"}
	if resetAt != nil {
		n.Deadline, n.DeadlineLabel = at(*resetAt), "Limit resets on"
	}
	return n
}

// Warned reports whether used of max is at or past the warning percentage (and max is set).
func Warned(used, max float64) bool {
	return max > 0 && used*100 >= WarningPercentage*max
}

func percent(v, max float64) int {
	if max <= 0 {
		return 100
	}
	// Rounded down, but not below what the figures say: $4.10 of $5 is 82%, though its
	// binary float is a hair under.
	return int(math.Floor(v*100/max + 1e-9))
}
