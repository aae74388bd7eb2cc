package metering

import (
	"math"
	"slices"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// observation is what one pass saw of a tenant outside the store, before its transaction.
type observation struct {
	now time.Time
	// events are the machine's events, oldest first; nil when the machine could not be read
	// (hours are then left as they are this pass).
	events []*launchpad.MachineEvent
	// plan is the user's plan; nil when unknown (no hour cap applies).
	plan *launchpad.Plan
	// key is the tenant's sub-key; nil when there is none or it could not be read.
	key *launchpad.KeyInfo
	// grace is how long a past-due subscription keeps a running tenant (Deps.PastDueGrace).
	grace time.Duration
}

// decision is what the transaction decided, for the side effects that follow it. Each flag is
// set only by the pass whose transaction changed the user record accordingly, so that among
// any number of replicas exactly one acts on it.
type decision struct {
	// rolled: the cycle had ended and this pass started the next one.
	rolled           bool
	previous         cycle
	previousSeconds  float64
	previousCappedAt time.Time
	capReached       bool      // CappedAt set now: stop the machine, audit, mail
	enforceStop      bool      // capped earlier but running again: stop it (no audit)
	capLifted        bool      // the cap was raised above the hours used: CappedAt cleared
	restart          bool      // start the stopped machine (new cycle, or cap lifted)
	spendExhausted   bool      // SpendExhaustedAt set now
	spendRestored    bool      // SpendExhaustedAt cleared now
	suspended        bool      // Control.SuspendedAt set now: stop the machine, audit, mail
	holdSuspended    bool      // suspended earlier but running again: stop it (no audit)
	resumed          bool      // Control.SuspendedAt cleared now (paid again): audit; restart says whether it starts
	suspendedSince   time.Time // the SuspendedAt a resume cleared
	machineRunning   bool      // after this pass's metering
	capSeconds       float64
	// secondsBefore is the cycle's machine seconds before this pass counted; hoursWarned is
	// set when this pass crossed the warning share of the cap (without reaching the cap).
	secondsBefore float64
	hoursWarned   bool
	// spendWarned is set when this pass marked Usage.SpendWarnedAt: the spend crossed the
	// warning share of the key's limit (without reaching it) for the first time this cycle.
	spendWarned bool
}

// step applies one observation to u's usage, in the store transaction. It must have no side
// effects: UpdateUser may call it more than once.
func step(u *launchpad.User, o observation) decision {
	var d decision
	usage := &u.Usage
	d.capSeconds = math.Inf(1)
	if o.plan != nil {
		d.capSeconds = float64(o.plan.MachineHoursPerCycle) * 3600
	}

	if o.events != nil {
		meterHours(u, o, &d)
	}
	applySuspension(u, o, &d)
	if o.events != nil {
		applyHourCap(usage, entitled(u.Subscription) && u.Control.SuspendedAt.IsZero(), o, &d)
		d.hoursWarned = o.plan != nil && usage.CappedAt.IsZero() && usage.MachineSeconds < d.capSeconds &&
			notice.Warned(usage.MachineSeconds, d.capSeconds) && !notice.Warned(d.secondsBefore, d.capSeconds)
	}
	if o.key != nil {
		recordSpend(usage, o.key, o.now)
		exhausted := spentOut(o.key)
		switch {
		case exhausted && usage.SpendExhaustedAt.IsZero():
			usage.SpendExhaustedAt, d.spendExhausted = o.now.UTC(), true
		case !exhausted && !usage.SpendExhaustedAt.IsZero():
			usage.SpendExhaustedAt, d.spendRestored = time.Time{}, true
		}
		if !exhausted && usage.SpendWarnedAt.IsZero() && o.key.LimitUSD != nil && notice.Warned(o.key.UsageUSD, *o.key.LimitUSD) {
			usage.SpendWarnedAt, d.spendWarned = o.now.UTC(), true
		}
	}
	return d
}

// recordSpend counts the key's new spend since the stored reading into the day it is read
// (OpenRouter reports a key's usage as one lifetime figure, so the spend of a day is the
// difference between successive readings). The first reading of a user is only the baseline:
// when its spend was made is not known. A new key (rotated) has spent all its usage since. A
// reading below the stored one for the same key is older than it (another replica read the
// key first) and changes nothing.
func recordSpend(usage *launchpad.Usage, k *launchpad.KeyInfo, now time.Time) {
	var spent float64
	switch {
	case usage.SpendReadingKey == "":
	case usage.SpendReadingKey != k.Hash:
		spent = k.UsageUSD
	case k.UsageUSD > usage.SpendReadingUSD:
		spent = k.UsageUSD - usage.SpendReadingUSD
	default:
		return
	}
	if spent > 0 {
		usage.AddToDay(now, 0, spent)
	}
	usage.SpendReadingUSD, usage.SpendReadingKey = k.UsageUSD, k.Hash
}

// meterHours brings usage's cycle up to now and counts the machine's running time in it.
func meterHours(u *launchpad.User, o observation, d *decision) {
	usage := &u.Usage
	if usage.CycleStart.IsZero() || !usage.CycleEnd.After(usage.CycleStart) {
		c := firstCycle(u.Subscription, o.now)
		first := usage.NewCycle(c.start, c.end)
		// What the spend part saw before there was a cycle belongs to this first one.
		first.SpendExhaustedAt, first.SpendWarnedAt, first.Days = usage.SpendExhaustedAt, usage.SpendWarnedAt, usage.Days
		*usage = first
	}
	c := clockOf(usage)
	if !o.now.Before(usage.CycleEnd) {
		// The cycle is over and no invoice.paid has reset it: count its last stretch, then
		// start the next one with the machine's state carried over.
		c.advance(o.events, usage.CycleEnd)
		d.rolled = true
		d.previous = cycle{usage.CycleStart, usage.CycleEnd}
		d.previousSeconds = c.seconds
		d.previousCappedAt = usage.CappedAt
		next := nextCycle(u.Subscription, usage.CycleEnd, o.now)
		*usage = usage.NewCycle(next.start, next.end)
		c = clock{cursor: next.start, running: c.running, since: next.start, perDay: usage}
	}
	d.secondsBefore = c.seconds
	c.advance(o.events, o.now)
	usage.MachineSeconds, usage.MeteredUntil = c.seconds, c.cursor.UTC()
	usage.Running, usage.RunningSince = c.running, time.Time{}
	if c.running {
		usage.RunningSince = c.since.UTC()
	}
	d.machineRunning = c.running
}

// clockOf is the metering position stored in usage. A cycle not metered yet (just reset by
// invoice.paid) starts at its beginning, with the machine's state there taken from its
// events.
func clockOf(usage *launchpad.Usage) clock {
	if usage.MeteredUntil.Before(usage.CycleStart) {
		return clock{cursor: usage.CycleStart, running: usage.Running, since: usage.CycleStart, perDay: usage}
	}
	since := usage.RunningSince
	if since.IsZero() {
		since = usage.MeteredUntil
	}
	return clock{seconds: usage.MachineSeconds, cursor: usage.MeteredUntil, running: usage.Running, since: since, perDay: usage}
}

// applySuspension holds the machine of a subscription past due beyond the grace stopped
// (the first pass past Subscription.OverdueAt claims it by setting Control.SuspendedAt), and lets
// it run again once the subscription is paid — entitled again and no longer overdue. A
// suspended subscription that ends instead (canceled) stays stopped until billing destroys
// its tenant.
func applySuspension(u *launchpad.User, o observation, d *decision) {
	at := u.Subscription.OverdueAt(o.grace)
	overdue := !at.IsZero() && !o.now.Before(at)
	switch {
	case overdue && u.Control.SuspendedAt.IsZero():
		u.Control.SuspendedAt, d.suspended = o.now.UTC(), true
	case !u.Control.SuspendedAt.IsZero() && !overdue && entitled(u.Subscription):
		d.suspendedSince = u.Control.SuspendedAt
		u.Control.SuspendedAt, d.resumed = time.Time{}, true
	case !u.Control.SuspendedAt.IsZero():
		d.holdSuspended = d.machineRunning
	}
}

// applyHourCap stops the machine at the cap, keeps it stopped, and starts it again when a new
// cycle (or a raised cap) leaves room, or a suspension ended — if mayRun: the subscription
// pays for machine time and is not suspended.
func applyHourCap(usage *launchpad.Usage, mayRun bool, o observation, d *decision) {
	last := lastLifecycle(o.events, o.now)
	stopped := last != nil && (last.Type == "stop" || last.Type == "exit")
	capped := false
	if o.plan != nil { // no plan, no cap: nothing is stopped for hours, so nothing restarts for them
		switch {
		case usage.MachineSeconds >= d.capSeconds && usage.CappedAt.IsZero():
			usage.CappedAt, d.capReached, capped = o.now.UTC(), true, true
		case usage.MachineSeconds >= d.capSeconds:
			d.enforceStop, capped = d.machineRunning, true
		case !usage.CappedAt.IsZero():
			// The plan's cap was raised above what was used.
			usage.CappedAt, d.capLifted = time.Time{}, true
			d.restart = stopped && !d.machineRunning && mayRun
		default:
			// A machine stopped before this cycle began was stopped by the cap of an earlier
			// cycle or by a suspension since lifted (nothing else leaves a tenant's machine
			// stopped): the new cycle starts it.
			d.restart = stopped && !d.machineRunning && last.Time.Before(usage.CycleStart) && mayRun
		}
	}
	if d.resumed && !capped {
		// Paid again: the machine the suspension stopped runs again, unless the hour cap
		// holds it (then the next cycle starts it, as for any capped machine).
		// Its last event decides, not the carried state: the suspension's stop may be newer
		// than the metering cursor.
		d.restart = d.restart || (stopped && mayRun)
	}
	if d.restart {
		// Claim the restart in this transaction, so one replica makes it: from now the
		// machine counts as running. If the start never happens, the next pass sees the
		// machine's last event is still a stop and corrects this at its cursor.
		usage.Running, usage.RunningSince = true, o.now.UTC()
		d.machineRunning = true
	}
}

// entitled reports whether the user's subscription pays for machine time: none at all (a
// user provisioned without Stripe, metered by calendar month), or one that is active, in its
// trial or past due (within its grace: beyond it the tenant is suspended, see
// applySuspension). A canceled or unpaid subscription's machine is not started again: the
// billing code tears the tenant down after its retention.
func entitled(sub launchpad.Subscription) bool {
	return sub.Status == "" || launchpad.SubscriptionRunning(sub.Status)
}

// spentOut reports whether the key has hit its spend cap: OpenRouter's limit_remaining at or
// below zero, or — for a key whose limit never resets — usage at or above the limit.
func spentOut(k *launchpad.KeyInfo) bool {
	if k.Exhausted() {
		return true
	}
	return k.LimitRemaining == nil && k.LimitReset == "" && k.LimitUSD != nil && k.UsageUSD >= *k.LimitUSD
}

// sameUsage reports whether two usage records are equal, times compared as instants.
func sameUsage(a, b launchpad.Usage) bool {
	return a.CycleStart.Equal(b.CycleStart) && a.CycleEnd.Equal(b.CycleEnd) &&
		a.MachineSeconds == b.MachineSeconds && a.MeteredUntil.Equal(b.MeteredUntil) &&
		a.Running == b.Running && a.RunningSince.Equal(b.RunningSince) &&
		a.CappedAt.Equal(b.CappedAt) && a.SpendExhaustedAt.Equal(b.SpendExhaustedAt) &&
		a.SpendWarnedAt.Equal(b.SpendWarnedAt) && a.SpendReadingUSD == b.SpendReadingUSD && a.SpendReadingKey == b.SpendReadingKey &&
		slices.EqualFunc(a.Days, b.Days, func(x, y launchpad.UsageDay) bool {
			return x.Day.Equal(y.Day) && x.MachineSeconds == y.MachineSeconds && x.SpendUSD == y.SpendUSD
		})
}
