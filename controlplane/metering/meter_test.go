package metering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Hours accumulate from the machine's events: running stretches count, stopped ones do not,
// and a pass that finds nothing new changes nothing.
func TestHoursAccumulateFromEvents(t *testing.T) {
	w := newWorld(t, jan1.Add(9*24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	m := w.meter(nil)

	w.pass(m)
	if u := w.user(tn); !u.Usage.CycleStart.Equal(jan1) || !u.Usage.CycleEnd.Equal(feb1) || u.Usage.MachineSeconds != 0 || !u.Usage.Running {
		t.Fatalf("first pass: usage %+v; want the subscription's period, 0 s, running", u.Usage)
	}
	w.clock.Advance(90 * time.Minute)
	w.pass(m)
	w.pass(m) // nothing new: nothing more counted
	if h := w.hours(tn); !approx(h, 1.5) {
		t.Fatalf("after 90 running minutes: %v hours", h)
	}
	w.clock.Advance(30 * time.Minute)
	w.stopMachine(tn) // ran 2 h in all
	w.clock.Advance(5 * time.Hour)
	w.pass(m)
	if u := w.user(tn); !approx(u.Usage.Hours(), 2) || u.Usage.Running {
		t.Fatalf("after a stop and 5 stopped hours: %v hours, running=%v; want 2, stopped", u.Usage.Hours(), u.Usage.Running)
	}
	w.startMachine(tn)
	w.clock.Advance(45 * time.Minute)
	w.stopMachine(tn)
	w.clock.Advance(15 * time.Minute)
	w.startMachine(tn)
	w.clock.Advance(time.Hour)
	w.pass(m)
	if h := w.hours(tn); !approx(h, 3.75) {
		t.Fatalf("2 h + 45 min + 1 h running: %v hours, want 3.75", h)
	}
	if w.count(tn, launchpad.AuditHourCapReached) != 0 || w.smtp.Count(tn.email) != 0 {
		t.Fatal("under the cap nothing is audited or mailed")
	}
}

// At the cap the machine is stopped, the cap audited and the user emailed — once; a capped
// machine someone starts again is stopped again without another notice.
func TestCapStopsTheMachineOnce(t *testing.T) {
	w := newWorld(t, jan1.Add(24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	m := w.meter(nil)
	w.pass(m)
	w.clock.Advance(9 * time.Hour)
	w.pass(m)
	if w.machineState(tn) != "started" || !w.user(tn).Usage.CappedAt.IsZero() {
		t.Fatal("stopped before the cap")
	}
	w.clock.Advance(70 * time.Minute)
	capAt := w.clock.Now()
	w.pass(m)
	u := w.user(tn)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("machine is %s after the cap, want stopped", state)
	}
	if !u.Usage.CappedAt.Equal(capAt) || !approx(u.Usage.Hours(), 10+10.0/60) {
		t.Fatalf("usage after the cap: %+v", u.Usage)
	}
	for range 3 {
		w.clock.Advance(time.Hour)
		w.pass(m)
	}
	if h := w.hours(tn); !approx(h, 10+10.0/60) {
		t.Fatalf("a stopped machine kept counting: %v hours", h)
	}
	if n := w.count(tn, launchpad.AuditHourCapReached); n != 1 {
		t.Fatalf("%d hour_cap_reached events, want 1", n)
	}
	caps, warnings := w.mailsAbout(tn.email, capSubject), w.mailsAbout(tn.email, hoursWarnSubject)
	if len(caps) != 1 || len(warnings) != 1 || w.smtp.Count(tn.email) != 2 {
		t.Fatalf("%d cap and %d 80%% emails of %d; want one of each", len(caps), len(warnings), w.smtp.Count(tn.email))
	}
	if mail := caps[0]; !strings.Contains(mail.Body, "10 machine hours") || !strings.Contains(mail.Body, "Starts again on: 1 Feb 2030, 00:00 UTC") ||
		!strings.Contains(mail.Body, "Move to a plan with more hours") {
		t.Fatalf("email body:\n%s", mail.Body)
	}
	// The 80% warning went at the pass that crossed 8 of the 10 hours (9 hours in).
	if mail := warnings[0]; !strings.Contains(mail.Header.Get("Subject"), "90%") || !strings.Contains(mail.Body, "9.0 of the 10 hours") {
		t.Fatalf("80%% warning %q:\n%s", mail.Header.Get("Subject"), mail.Body)
	}
	ev := lastEvent(w.audit(tn), launchpad.AuditHourCapReached)
	if ev.Actor != "system" || ev.Target != tn.app || ev.Details["hours_cap"] != "10" || ev.Details["machine_stopped"] != "true" || ev.Details["machine"] != tn.machine {
		t.Fatalf("audit event %+v", ev)
	}
	if rec, _ := w.store.GetTenant(context.Background(), tn.app); rec.MachineState != "stopped" {
		t.Fatalf("tenant record says %q", rec.MachineState)
	}

	// Someone starts the capped machine (an apply, an operator): the next pass stops it.
	w.startMachine(tn)
	w.clock.Advance(10 * time.Minute)
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("a capped machine started again is %s after a pass, want stopped", state)
	}
	if w.count(tn, launchpad.AuditHourCapReached) != 1 || w.smtp.Count(tn.email) != 2 {
		t.Fatal("stopping a capped machine again must not audit or mail again")
	}
}

// The billing code resets usage on invoice.paid; the meter then starts the capped machine
// again and counts the new cycle from its start.
func TestInvoicePaidResetStartsTheCappedMachine(t *testing.T) {
	w := newWorld(t, jan1.Add(20*24*time.Hour))
	tn, m := w.cappedTenant()

	// Stripe renews: invoice.paid for [feb1, mar1), processed 20 minutes into the period, the
	// way controlplane/billing applies it (a fresh Usage with the new cycle).
	w.clock.Set(feb1.Add(20 * time.Minute))
	if _, err := w.store.UpdateUser(context.Background(), tn.userID, func(u *launchpad.User) error {
		u.Usage = launchpad.Usage{CycleStart: feb1, CycleEnd: mar1}
		u.Subscription.CurrentPeriodStart, u.Subscription.CurrentPeriodEnd = feb1, mar1
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.pass(m)
	if state := w.machineState(tn); state != "started" {
		t.Fatalf("after the new cycle began the machine is %s, want started", state)
	}
	resets := eventsOf(w.audit(tn), launchpad.AuditCycleReset)
	if len(resets) != 1 || resets[0].Details["reason"] != "new_cycle" || resets[0].Details["machine_started"] != "true" {
		t.Fatalf("cycle_reset events: %+v", resets)
	}
	w.clock.Advance(2 * time.Hour)
	w.pass(m)
	w.pass(m)
	if h := w.hours(tn); !approx(h, 2) {
		t.Fatalf("new cycle: %v hours after 2 running hours (the stopped 20 minutes do not count)", h)
	}
	if len(eventsOf(w.audit(tn), launchpad.AuditCycleReset)) != 1 {
		t.Fatal("the restart was audited more than once")
	}
}

// Without a renewal from Stripe (or without a subscription: calendar months), the meter
// notices the cycle has ended, closes it, starts the next and the capped machine with it.
func TestCycleEndDetectedByTheMeter(t *testing.T) {
	for _, c := range []struct {
		name   string
		period *cycle
	}{{"subscription", &cycle{jan1.Add(14 * 24 * time.Hour), feb1.Add(14 * 24 * time.Hour)}}, {"no subscription", nil}} {
		t.Run(c.name, func(t *testing.T) {
			start := jan1.Add(20 * 24 * time.Hour)
			w := newWorld(t, start)
			tn := w.provision(1, c.period)
			m := w.meter(nil)
			w.pass(m)
			want := cycle{jan1, feb1}
			if c.period != nil {
				want = *c.period
			}
			if u := w.user(tn); !u.Usage.CycleStart.Equal(want.start) || !u.Usage.CycleEnd.Equal(want.end) {
				t.Fatalf("cycle %v – %v, want %v – %v", u.Usage.CycleStart, u.Usage.CycleEnd, want.start, want.end)
			}
			w.clock.Advance(12 * time.Hour)
			w.pass(m)
			if w.machineState(tn) != "stopped" {
				t.Fatal("not capped")
			}
			w.clock.Set(want.end.Add(3 * time.Hour))
			w.pass(m)
			u := w.user(tn)
			if !u.Usage.CycleStart.Equal(want.end) || !u.Usage.CappedAt.IsZero() {
				t.Fatalf("after the cycle end: usage %+v; want a new uncapped cycle from %v", u.Usage, want.end)
			}
			if state := w.machineState(tn); state != "started" {
				t.Fatalf("machine %s after the new cycle began", state)
			}
			resets := eventsOf(w.audit(tn), launchpad.AuditCycleReset)
			if len(resets) != 1 || resets[0].Details["reason"] != "cycle_ended" || resets[0].Details["machine_started"] != "true" ||
				resets[0].Details["previous_hours_used"] != "12.00" {
				t.Fatalf("cycle_reset events: %+v", resets)
			}
			w.clock.Advance(time.Hour)
			w.pass(m)
			if h := w.hours(tn); !approx(h, 1) {
				t.Fatalf("%v hours one hour into the new cycle", h)
			}
		})
	}
}

// A machine running across the cycle boundary: its hours before the boundary belong to the
// old cycle, those after to the new one.
func TestRunSplitAtTheCycleEnd(t *testing.T) {
	w := newWorld(t, feb1.Add(-3*time.Hour))
	tn := w.provision(1, nil)
	m := w.meter(nil)
	w.pass(m)
	w.clock.Set(feb1.Add(2 * time.Hour))
	w.pass(m)
	u := w.user(tn)
	if !u.Usage.CycleStart.Equal(feb1) || !approx(u.Usage.Hours(), 2) {
		t.Fatalf("usage %+v; want 2 hours in February", u.Usage)
	}
	if ev := lastEvent(w.audit(tn), launchpad.AuditCycleReset); ev.Details["previous_hours_used"] != "3.00" || ev.Details["machine_started"] != "false" {
		t.Fatalf("cycle_reset %+v; want 3 hours in January, and no restart of a running machine", ev.Details)
	}
}

// Raising the plan's hours above what was used lifts the cap: the machine starts again.
func TestRaisedCapStartsTheMachine(t *testing.T) {
	w := newWorld(t, jan1.Add(24*time.Hour))
	tn, m := w.cappedTenant()
	if _, err := w.store.UpdatePlan(context.Background(), planPro, func(p *launchpad.Plan) error { p.MachineHoursPerCycle = 20; return nil }); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	w.pass(m)
	if w.machineState(tn) != "started" || !w.user(tn).Usage.CappedAt.IsZero() {
		t.Fatal("raising the cap did not start the machine")
	}
	if ev := lastEvent(w.audit(tn), launchpad.AuditHourCapLifted); ev == nil || ev.Details["hours_cap"] != "20" || ev.Details["machine_started"] != "true" {
		t.Fatalf("hour_cap_lifted: %+v", ev)
	}
}

// Two replicas metering the same store at the same moments count exactly what one does: the
// running intervals of each machine, once.
func TestTwoReplicasNeverDoubleCount(t *testing.T) {
	single := runScenario(t, 1)
	double := runScenario(t, 2)
	for user, want := range scenarioHours {
		if !approx(single.hours[user], want) || !approx(double.hours[user], want) {
			t.Errorf("%s: one meter %v hours, two meters %v hours; the machine ran %v hours", user, single.hours[user], double.hours[user], want)
		}
	}
	if single.warnings != 1 || double.warnings != 1 {
		t.Errorf("80%% warnings: one meter sent %d, two sent %d; want one each", single.warnings, double.warnings)
	}
	if single.spendWarnings != 1 || double.spendWarnings != 1 {
		t.Errorf("80%% spend warnings: one meter sent %d, two sent %d; want one each", single.spendWarnings, double.spendWarnings)
	}
	// Per day: every metered second is in its day, and the spend is what was spent after the
	// first reading, on the day it was read — whichever replica counted it.
	for _, res := range []scenarioResult{single, double} {
		for user, want := range scenarioHours {
			if !approx(res.dayHours[user], want) {
				t.Errorf("%s: the days hold %v hours, the cycle %v", user, res.dayHours[user], want)
			}
		}
		if !approx(res.daySpend["user01"], scenarioSpend) || res.daySpend["user02"] != 0 {
			t.Errorf("spend per day: user01 $%v (want $%v), user02 $%v (want none)", res.daySpend["user01"], scenarioSpend, res.daySpend["user02"])
		}
	}
	if single.caps != double.caps || double.caps != 1 || double.mails != 1 || double.resets != single.resets {
		t.Errorf("one meter: %d caps, %d mails, %d resets; two: %d caps, %d mails, %d resets; want one cap and one mail each",
			single.caps, single.mails, single.resets, double.caps, double.mails, double.resets)
	}
}

// scenarioHours is what the scenario's machines run in February (exact: the clock is manual).
var scenarioHours = map[string]float64{
	"user01": 4,        // runs throughout
	"user02": 1.5,      // stopped after 1.5 h
	"user03": 2.5,      // stopped after 1 h, started again 1 h later, 1.5 h more
	"user04": proHours, // runs throughout: reaches the 10 h cap at the last step, stopped
}

// scenarioSpend is what user01's key spends in the scenario: $4.20 (84% of its $5 limit, so
// one warning), then $0.30 more.
const scenarioSpend = 4.5

type scenarioResult struct {
	hours               map[string]float64
	caps, mails, resets int
	warnings            int // 80% of the hours
	spendWarnings       int // 80% of the spend limit
	dayHours, daySpend  map[string]float64
}

// runScenario drives four tenants through February 1, in 30-minute steps, with replicas
// meters running RunOnce concurrently (twice each) after every step.
func runScenario(t *testing.T, replicas int) scenarioResult {
	w := newWorld(t, feb1)
	var tenants []*tenant
	for i := 1; i <= 4; i++ {
		tenants = append(tenants, w.provision(i, &cycle{feb1, mar1}))
	}
	meters := make([]*Meter, replicas)
	for i := range meters {
		meters[i] = w.meter(nil)
	}
	passAll := func() {
		var wg sync.WaitGroup
		for _, m := range meters {
			for range 2 {
				wg.Go(func() {
					if err := m.RunOnce(context.Background()); err != nil {
						t.Errorf("RunOnce: %v", err)
					}
				})
			}
		}
		wg.Wait()
	}
	passAll()
	for step := 1; step <= 20; step++ {
		w.clock.Advance(30 * time.Minute)
		switch step {
		case 2:
			w.stopMachine(tenants[2]) // user03 after 1 h
		case 3:
			w.stopMachine(tenants[1]) // user02 after 1.5 h
		case 4:
			w.startMachine(tenants[2]) // user03 again after 1 h stopped
		case 7:
			w.stopMachine(tenants[2]) // user03 after 1.5 h more
		case 8:
			w.stopMachine(tenants[0]) // user01 after 4 h
		case 5, 9:
			if err := w.or.Sim.Spend(tenants[0].key, map[int]float64{5: 4.2, 9: scenarioSpend - 4.2}[step]); err != nil {
				t.Fatalf("spending: %v", err)
			}
		}
		passAll()
	}
	res := scenarioResult{hours: map[string]float64{}, dayHours: map[string]float64{}, daySpend: map[string]float64{}}
	for _, tn := range tenants {
		res.hours[tn.userID] = w.hours(tn)
		for _, d := range w.user(tn).Usage.Days {
			res.dayHours[tn.userID] += d.MachineSeconds / 3600
			res.daySpend[tn.userID] += d.SpendUSD
		}
		res.spendWarnings += len(w.mailsAbout(tn.email, spendWarnSubject))
		res.caps += w.count(tn, launchpad.AuditHourCapReached)
		res.resets += w.count(tn, launchpad.AuditCycleReset)
		res.mails += len(w.mailsAbout(tn.email, capSubject))
		res.warnings += len(w.mailsAbout(tn.email, hoursWarnSubject))
	}
	if res.hours["user04"] >= proHours && w.machineState(tenants[3]) != "stopped" {
		t.Errorf("user04 is capped but its machine is %s", w.machineState(tenants[3]))
	}
	return res
}

// A key spent on the OpenRouter simulator until the gateway answers 402 is reported once per
// cycle; raising the limit (as a plan upgrade does) clears it on the next pass; a new cycle
// reports it again.
func TestSpendExhaustedOncePerCycle(t *testing.T) {
	w := newWorld(t, jan1.Add(24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	var logs stacktest.Output
	m := w.meter(&logs)
	w.pass(m)
	defer func() {
		if strings.Contains(logs.String(), tn.key) || strings.Contains(fmt.Sprint(w.audit(tn)), tn.key) {
			t.Error("the sub-key's plaintext reached the log or the audit")
		}
	}()

	spendUntil402(t, w.or.Sim, tn.key)
	w.pass(m)
	w.pass(m)
	if n := w.count(tn, launchpad.AuditSpendExhausted); n != 1 {
		t.Fatalf("%d spend_exhausted events, want 1", n)
	}
	key, err := w.keys.GetKey(context.Background(), tn.keyHash)
	if err != nil {
		t.Fatal(err)
	}
	sum := Summary(w.user(tn), nil, key)
	if !sum.SpendExhausted || sum.SpendLimitUSD == nil || *sum.SpendLimitUSD != proSpend || *sum.SpendUSD < proSpend {
		t.Fatalf("summary %+v; want the key reported exhausted at its $5 limit", sum)
	}
	if stored := Summary(w.user(tn), nil, nil); !stored.SpendExhausted || stored.SpendExhaustedAt == nil {
		t.Fatalf("summary from the stored state %+v; want exhausted", stored)
	}
	ev := lastEvent(w.audit(tn), launchpad.AuditSpendExhausted)
	if ev.Target != tn.keyHash || ev.Details["limit_usd"] != "5.0000" || strings.Contains(fmt.Sprint(ev.Details), tn.key) {
		t.Fatalf("audit event %+v", ev)
	}
	// One email for the occurrence, in the overview's words, saying when the limit comes back
	// (a monthly key's on the 1st of next month, 00:00 UTC; this key's never by itself) and
	// never the key.
	spent := w.mailsAbout(tn.email, spendSubject)
	if len(spent) != 1 {
		t.Fatalf("%d spend-limit emails after two passes, want 1", len(spent))
	}
	comesBack := "does not come back by itself"
	if key.LimitReset == launchpad.LimitResetMonthly {
		comesBack = "Limit comes back on: 1 Feb 2030, 00:00 UTC"
	}
	if body := spent[0].Body; !strings.Contains(body, "$5.00 spend limit") || !strings.Contains(body, comesBack) ||
		!strings.Contains(body, "Move to a larger plan") || strings.Contains(body, tn.key) {
		t.Fatalf("spend-limit email:\n%s", body)
	}

	// The plan is raised: the key's limit goes up in place.
	raised := 20.0
	if _, err := w.keys.UpdateKey(context.Background(), tn.keyHash, launchpad.KeyUpdate{LimitUSD: &raised}); err != nil {
		t.Fatal(err)
	}
	w.pass(m)
	if !w.user(tn).Usage.SpendExhaustedAt.IsZero() || w.count(tn, launchpad.AuditSpendRestored) != 1 {
		t.Fatal("raising the limit did not clear the exhausted state on the next pass")
	}
	if err := w.or.Sim.Spend(tn.key, 1); err != nil {
		t.Fatalf("the raised key still refuses: %v", err)
	}

	// Exhausted again in the next cycle: reported again.
	spendUntil402(t, w.or.Sim, tn.key)
	w.clock.Set(feb1.Add(time.Hour))
	w.pass(m)
	if n := w.count(tn, launchpad.AuditSpendExhausted); n != 2 {
		t.Fatalf("%d spend_exhausted events after a new cycle, want 2", n)
	}
	if n := len(w.mailsAbout(tn.email, spendSubject)); n != 2 {
		t.Fatalf("%d spend-limit emails after the second occurrence, want 2", n)
	}
}

// Crossing 80% of the key's spend limit sends one warning in the overview's words — not again
// on the next passes, however much more is spent short of the limit — and one again in the
// next cycle while the key is still past it.
func TestSpendWarningOncePerCycle(t *testing.T) {
	w := newWorld(t, jan1.Add(24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	m := w.meter(nil)
	w.pass(m)
	spend := func(usd float64) {
		t.Helper()
		if err := w.or.Sim.Spend(tn.key, usd); err != nil {
			t.Fatal(err)
		}
	}
	spend(3.9) // 78%: no warning yet
	w.pass(m)
	if n := len(w.mailsAbout(tn.email, spendWarnSubject)); n != 0 {
		t.Fatalf("%d spend warnings at 78%%, want none", n)
	}
	spend(0.2) // 82%
	w.pass(m)
	w.pass(w.meter(nil)) // another replica
	spend(0.3)
	w.pass(m)
	warned := w.mailsAbout(tn.email, spendWarnSubject)
	if len(warned) != 1 {
		t.Fatalf("%d spend warnings after crossing 80%% and three passes, want 1", len(warned))
	}
	if body := warned[0].Body; !strings.Contains(warned[0].Header.Get("Subject"), "82% of the model spend limit used") ||
		!strings.Contains(body, "$4.10 of its $5.00 limit") || !strings.Contains(body, "Move to a larger plan") || strings.Contains(body, tn.key) {
		t.Fatalf("spend warning %q:\n%s", warned[0].Header.Get("Subject"), body)
	}
	if u := w.user(tn); u.Usage.SpendWarnedAt.IsZero() || len(u.Usage.Days) != 1 || !approx(u.Usage.Days[0].SpendUSD, 4.4) {
		t.Fatalf("usage %+v; want the warning marked and $4.40 spent on Jan 2", u.Usage)
	}

	w.clock.Set(feb1.Add(time.Hour))
	w.pass(m)
	w.pass(m)
	if n := len(w.mailsAbout(tn.email, spendWarnSubject)); n != 2 {
		t.Fatalf("%d spend warnings after a new cycle began, want 2", n)
	}
}

// spendUntil402 spends on the gateway until it refuses with the spend-cap error.
func spendUntil402(t *testing.T, or *sim.OpenRouter, key string) {
	t.Helper()
	for range 1000 {
		err := or.Spend(key, 0.75)
		var gerr *sim.GatewayError
		if errors.As(err, &gerr) && errors.Is(err, sim.ErrKeyLimitExceeded) && gerr.Status == 402 {
			return
		}
		if err != nil {
			t.Fatalf("spending: %v", err)
		}
	}
	t.Fatal("the key never ran out")
}

func eventsOf(events []*launchpad.AuditEvent, action string) []*launchpad.AuditEvent {
	var out []*launchpad.AuditEvent
	for _, e := range events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func lastEvent(events []*launchpad.AuditEvent, action string) *launchpad.AuditEvent {
	matching := eventsOf(events, action)
	if len(matching) == 0 {
		return nil
	}
	return matching[len(matching)-1]
}

// A pass that cannot read the machines fails and counts nothing; the next one counts the
// whole time since the last good pass.
func TestFailedPassLosesNothing(t *testing.T) {
	w := newWorld(t, jan1.Add(24*time.Hour))
	a, b := w.provision(1, nil), w.provision(2, nil)
	m := w.meter(nil)
	w.pass(m)
	w.clock.Advance(time.Hour)
	w.fly.Sim.SetFaults(sim.Faults{ErrorRate: 1, Seed: 1})
	err := m.RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), a.app) || !strings.Contains(err.Error(), b.app) {
		t.Fatalf("RunOnce with Fly failing: %v; want an error naming both tenants", err)
	}
	if w.hours(a) != 0 || w.hours(b) != 0 {
		t.Fatal("a failed pass counted hours")
	}
	w.fly.Sim.SetFaults(sim.Faults{})
	w.clock.Advance(time.Hour)
	w.pass(m)
	if !approx(w.hours(a), 2) || !approx(w.hours(b), 2) {
		t.Fatalf("after recovery: %v and %v hours, want 2 each", w.hours(a), w.hours(b))
	}
}

// A canceled subscription's capped machine stays stopped when the cycle ends: nobody pays
// for the next one.
func TestCanceledSubscriptionIsNotRestarted(t *testing.T) {
	w := newWorld(t, jan1.Add(20*24*time.Hour))
	tn, m := w.cappedTenant()
	if _, err := w.store.UpdateUser(context.Background(), tn.userID, func(u *launchpad.User) error {
		u.Subscription.Status = "canceled"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.clock.Set(feb1.Add(time.Hour))
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("a canceled user's capped machine is %s in the next cycle, want stopped", state)
	}
	if ev := lastEvent(w.audit(tn), launchpad.AuditCycleReset); ev == nil || ev.Details["machine_started"] != "false" {
		t.Fatalf("cycle_reset %+v", ev)
	}
}
