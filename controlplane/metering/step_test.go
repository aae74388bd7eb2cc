package metering

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestStep is the meter's decision, one situation per row: the user record as stored, what
// the pass saw (the machine's events, the plan, the key), and what step decides — the
// decision's flags, which the pass then acts on (stop, start, audit, mail) — and how it
// leaves the usage record: the hours, and the times its flags stamp (stamps). Times are
// hours after jan1 (at); the plans are pro (a 10-hour cap), raised (20) and roomy (744); the
// grace is testGrace (72 h).
func TestStep(t *testing.T) {
	january := launchpad.Subscription{Status: launchpad.StatusActive, CurrentPeriodStart: jan1, CurrentPeriodEnd: feb1}
	pastDue := january
	pastDue.Status, pastDue.PastDueSince = launchpad.StatusPastDue, at(0)
	canceled := january
	canceled.Status, canceled.CanceledAt = launchpad.StatusCanceled, at(11)
	// metered is January's usage metered up to at(h), the machine having run from the start
	// until then; running: it still runs.
	metered := func(h float64, running bool) launchpad.Usage {
		u := launchpad.Usage{CycleStart: jan1, CycleEnd: feb1, MachineSeconds: h * 3600, MeteredUntil: at(h), Running: running}
		if running {
			u.RunningSince = at(0)
		}
		return u
	}
	capped := func(u launchpad.Usage) launchpad.Usage { u.CappedAt = at(10); return u }
	five, zero, some := 5.0, 0.0, 2.5
	spent := &launchpad.KeyInfo{LimitUSD: &five, LimitRemaining: &zero, UsageUSD: 5}
	room := &launchpad.KeyInfo{LimitUSD: &five, LimitRemaining: &some, UsageUSD: 2.5}
	pro := &launchpad.Plan{Name: planPro, MachineHoursPerCycle: proHours}
	roomy := &launchpad.Plan{Name: planPro, MachineHoursPerCycle: 744}
	raised := &launchpad.Plan{Name: planPro, MachineHoursPerCycle: 20}
	runs := []*launchpad.MachineEvent{ev("launch", 0), ev("start", 0)}
	stoppedAt := func(h float64) []*launchpad.MachineEvent { return append(runs[:2:2], ev("stop", h), ev("exit", h)) }

	for _, c := range []struct {
		name string
		// the situation
		sub       launchpad.Subscription
		usage     launchpad.Usage
		suspended time.Time // Control.SuspendedAt
		now       float64
		events    []*launchpad.MachineEvent // nil: the machine could not be read
		plan      *launchpad.Plan           // nil: no plan, no cap
		key       *launchpad.KeyInfo        // nil: no key, or it could not be read
		// what step decides
		decides string // the decision's flags that are set, in decision's order
		hours   float64
		check   func(t *testing.T, u *launchpad.User, d decision)
	}{
		{name: "first pass: the cycle is the subscription's period, the running machine counted from its start",
			sub: january, now: 2, events: runs, plan: pro,
			decides: "running", hours: 2,
			check: func(t *testing.T, u *launchpad.User, _ decision) {
				if !u.Usage.CycleStart.Equal(jan1) || !u.Usage.CycleEnd.Equal(feb1) || !u.Usage.RunningSince.Equal(at(0)) {
					t.Errorf("usage %+v; want January's cycle, running since its start", u.Usage)
				}
			}},
		{name: "under the cap: hours counted, nothing to do",
			sub: january, usage: metered(2, true), now: 5, events: runs, plan: pro,
			decides: "running", hours: 5},
		{name: "the cap reached: the machine is stopped, audited and mailed, once",
			sub: january, usage: metered(9.5, true), now: 10, events: runs, plan: pro,
			decides: "capReached running", hours: 10},
		{name: "capped and started again by someone: stopped again, without another notice",
			sub: january, usage: capped(metered(10, false)), now: 11.5,
			events: append(stoppedAt(10), ev("start", 11)), plan: pro,
			decides: "enforceStop running", hours: 10.5},
		{name: "capped and stopped: nothing to do",
			sub: january, usage: capped(metered(10, false)), now: 12, events: stoppedAt(10), plan: pro,
			decides: "", hours: 10},
		{name: "the plan's cap raised above the hours used: the cap is lifted and the machine starts",
			sub: january, usage: capped(metered(10, false)), now: 12, events: stoppedAt(10), plan: raised,
			decides: "capLifted restart running", hours: 10},
		{name: "no plan: no cap, whatever the hours",
			sub: january, usage: metered(700, true), now: 701, events: runs,
			decides: "running", hours: 701},
		{name: "the cycle ended without a renewal: it rolls, and the machine the cap stopped starts",
			sub: january, usage: capped(metered(10, false)), now: 31*24 + 1, events: stoppedAt(10), plan: pro,
			decides: "rolled restart running", hours: 0,
			check: func(t *testing.T, u *launchpad.User, d decision) {
				if d.previous != (cycle{jan1, feb1}) || d.previousSeconds != 10*3600 || !d.previousCappedAt.Equal(at(10)) {
					t.Errorf("previous cycle %v with %v s, capped at %s; want January's, 10 h, capped at 10 h", d.previous, d.previousSeconds, d.previousCappedAt)
				}
				if !u.Usage.CycleStart.Equal(feb1) || !u.Usage.CycleEnd.Equal(mar1) || !u.Usage.CappedAt.IsZero() {
					t.Errorf("usage %+v; want February's cycle, not capped", u.Usage)
				}
			}},
		{name: "a canceled subscription's capped machine stays stopped in the next cycle",
			sub: canceled, usage: capped(metered(10, false)), now: 31*24 + 1, events: stoppedAt(10), plan: pro,
			decides: "rolled", hours: 0},
		{name: "past due within the grace: runs on",
			sub: pastDue, usage: metered(70, true), now: 71, events: runs, plan: roomy,
			decides: "running", hours: 71},
		{name: "past due beyond the grace: suspended, the machine to be stopped",
			sub: pastDue, usage: metered(71, true), now: 72, events: runs, plan: roomy,
			decides: "suspended running", hours: 72},
		{name: "suspended and started again by someone: held stopped, without another notice",
			sub: pastDue, usage: metered(72, false), suspended: at(72), now: 74,
			events: append(stoppedAt(72), ev("start", 73)), plan: roomy,
			decides: "holdSuspended running", hours: 73},
		{name: "suspended, then paid: resumed, and the machine the suspension stopped starts",
			sub: january, usage: metered(72, false), suspended: at(72), now: 80, events: stoppedAt(72), plan: roomy,
			decides: "restart resumed running", hours: 72,
			check: func(t *testing.T, _ *launchpad.User, d decision) {
				if !d.suspendedSince.Equal(at(72)) {
					t.Errorf("suspendedSince %s; want the suspension's start, 72 h", d.suspendedSince)
				}
			}},
		{name: "suspended, then paid, but over the cap: resumed, the machine held until the next cycle",
			sub: january, usage: capped(metered(72, false)), suspended: at(72), now: 80, events: stoppedAt(72), plan: pro,
			decides: "resumed", hours: 72},
		{name: "the machine could not be read: hours stay as they are, the suspension still applies",
			sub: pastDue, usage: metered(71, true), now: 72, plan: roomy,
			decides: "suspended", hours: 71},
		{name: "the key hit its spend cap: recorded once",
			sub: january, usage: metered(2, true), now: 3, events: runs, plan: pro, key: spent,
			decides: "spendExhausted running", hours: 3},
		{name: "the key was spent and has room again (a new month, a raised limit): restored",
			sub: january, usage: func() launchpad.Usage { u := metered(2, true); u.SpendExhaustedAt = at(1); return u }(),
			now: 3, events: runs, plan: pro, key: room,
			decides: "spendRestored running", hours: 3},
		{name: "the key could not be read: the spend state is left as it is",
			sub: january, usage: func() launchpad.Usage { u := metered(2, true); u.SpendExhaustedAt = at(1); return u }(),
			now: 3, events: runs, plan: pro,
			decides: "running", hours: 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := &launchpad.User{ID: "user01", Plan: planPro, Subscription: c.sub, Usage: c.usage}
			u.Control.SuspendedAt = c.suspended
			d := step(u, observation{now: at(c.now), events: c.events, plan: c.plan, key: c.key, grace: testGrace})
			if got := decided(d); got != c.decides {
				t.Errorf("decides %q, want %q", got, c.decides)
			}
			if !approx(u.Usage.Hours(), c.hours) {
				t.Errorf("%v hours metered, want %v", u.Usage.Hours(), c.hours)
			}
			stamps(t, u, d, at(c.now))
			if c.check != nil {
				c.check(t, u, d)
			}
			// Step is pure: applied again to the same record at the same moment, it decides
			// nothing more and changes nothing (a second replica, or UpdateUser retrying).
			again := *u
			if d2 := step(&again, observation{now: at(c.now), events: c.events, plan: c.plan, key: c.key, grace: testGrace}); !sameUsage(again.Usage, u.Usage) ||
				d2.capReached || d2.suspended || d2.resumed || d2.rolled || d2.spendExhausted || d2.spendRestored || d2.capLifted {
				t.Errorf("a second pass at the same moment decided %q and left usage %+v", decided(d2), again.Usage)
			}
		})
	}
}

// stamps checks what step's flags say of the record: a flag set by this pass stamps the
// record with the pass's time, and one that lifts a state clears its time.
func stamps(t *testing.T, u *launchpad.User, d decision, now time.Time) {
	t.Helper()
	for _, s := range []struct {
		name  string
		set   bool
		clear bool
		at    time.Time
	}{
		{"CappedAt", d.capReached, d.capLifted, u.Usage.CappedAt},
		{"RunningSince (the restart claimed)", d.restart, false, u.Usage.RunningSince},
		{"SpendExhaustedAt", d.spendExhausted, d.spendRestored, u.Usage.SpendExhaustedAt},
		{"Control.SuspendedAt", d.suspended, d.resumed, u.Control.SuspendedAt},
	} {
		switch {
		case s.set && !s.at.Equal(now):
			t.Errorf("%s is %s; want the pass's time %s", s.name, s.at, now)
		case s.clear && !s.at.IsZero():
			t.Errorf("%s is %s; want it cleared", s.name, s.at)
		}
	}
}

// decided names the flags of d that are set, in the order decision declares them.
func decided(d decision) string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"rolled", d.rolled}, {"capReached", d.capReached}, {"enforceStop", d.enforceStop}, {"capLifted", d.capLifted},
		{"restart", d.restart}, {"spendExhausted", d.spendExhausted}, {"spendRestored", d.spendRestored},
		{"suspended", d.suspended}, {"holdSuspended", d.holdSuspended}, {"resumed", d.resumed}, {"running", d.machineRunning},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return strings.Join(out, " ")
}
