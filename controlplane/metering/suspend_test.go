package metering

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const testGrace = 72 * time.Hour

// setSubscription changes the user's subscription as the billing processor would.
func (w *world) setSubscription(tn *tenant, fn func(*launchpad.Subscription)) {
	w.t.Helper()
	if _, err := w.store.UpdateUser(context.Background(), tn.userID, func(u *launchpad.User) error {
		fn(&u.Subscription)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
}

// roomyCap raises the plan's hour cap out of the way, for tests about suspension alone.
func (w *world) roomyCap() {
	w.t.Helper()
	if _, err := w.store.UpdatePlan(context.Background(), planPro, func(p *launchpad.Plan) error {
		p.MachineHoursPerCycle = 744
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
}

// pastDue marks the subscription past due from now, as invoice.payment_failed does.
func (w *world) pastDue(tn *tenant) time.Time {
	w.t.Helper()
	since := w.clock.Now()
	w.setSubscription(tn, func(s *launchpad.Subscription) { s.Status, s.PastDueSince = "past_due", since })
	return since
}

// paid settles it, as invoice.paid does after the failure.
func (w *world) paid(tn *tenant) {
	w.t.Helper()
	w.setSubscription(tn, func(s *launchpad.Subscription) { s.Status, s.PastDueSince = "active", time.Time{} })
}

// starts counts the machine's start events on the Fly simulator.
func (w *world) starts(tn *tenant) int {
	w.t.Helper()
	n := 0
	for _, a := range w.fly.Sim.Snapshot().Apps {
		for _, m := range a.Machines {
			if a.Name != tn.app || m.ID != tn.machine {
				continue
			}
			for _, e := range m.Events {
				if e.Type == "start" {
					n++
				}
			}
		}
	}
	return n
}

// A subscription past due keeps its machine for the grace; the first pass after it stops the
// machine, audits tenant.suspended and emails the user, once; the machine stays stopped (and
// uncounted) while unpaid, even when someone starts it; the payment starts it again, audited.
func TestPastDueBeyondTheGraceSuspendsAndPaymentResumes(t *testing.T) {
	w := newWorld(t, jan1.Add(2*24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	w.roomyCap()
	m := w.meter(nil)
	w.pass(m)
	since := w.pastDue(tn)

	w.clock.Advance(testGrace - time.Minute)
	w.pass(m)
	if state := w.machineState(tn); state != "started" || !w.user(tn).Control.SuspendedAt.IsZero() {
		t.Fatalf("within the grace the machine is %s, suspended at %s; want it running", state, w.user(tn).Control.SuspendedAt)
	}
	w.clock.Advance(2 * time.Minute)
	suspendedAt := w.clock.Now()
	w.pass(m)
	u := w.user(tn)
	if state := w.machineState(tn); state != "stopped" || !u.Control.SuspendedAt.Equal(suspendedAt) {
		t.Fatalf("after the grace the machine is %s, suspended at %s; want stopped, suspended at %s", state, u.Control.SuspendedAt, suspendedAt)
	}
	hoursAtSuspension := u.Usage.Hours()
	ev := lastEvent(w.audit(tn), launchpad.AuditTenantSuspended)
	if ev == nil || ev.Actor != "system" || ev.Target != tn.app || ev.Details["machine_stopped"] != "true" ||
		ev.Details["past_due_since"] != formatTime(since) || ev.Details["overdue_at"] != formatTime(since.Add(testGrace)) || ev.Details["grace"] != "72h0m0s" {
		t.Fatalf("tenant.suspended event %+v", ev)
	}
	msg := w.smtp.WaitFor(t, tn.email, 1, 10*time.Second)
	if !strings.Contains(msg.Header.Get("Subject"), suspendSubject) || !strings.Contains(msg.Body, "starts again by itself a few minutes after the invoice is paid") ||
		!strings.Contains(msg.Body, "Deleted on: "+since.Add(testGrace+launchpad.DefaultVolumeRetention).UTC().Format("2 Jan 2006, 15:04 UTC")) {
		t.Fatalf("suspension email: %q", msg.Body)
	}

	// Still unpaid: nothing more is audited or mailed; a machine started by hand is stopped
	// again; stopped time is not counted.
	w.clock.Advance(time.Hour)
	w.pass(m)
	w.startMachine(tn)
	w.clock.Advance(10 * time.Minute)
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("a suspended machine started by hand is %s after a pass, want stopped", state)
	}
	w.clock.Advance(5 * time.Hour)
	w.pass(m)
	if got := w.hours(tn); !approx(got, hoursAtSuspension+10.0/60) {
		t.Fatalf("hours while suspended: %v, want %v (only the 10 minutes it was started by hand)", got, hoursAtSuspension+10.0/60)
	}
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantSuspended)); n != 1 || w.smtp.Count(tn.email) != 1 {
		t.Fatalf("%d suspension events and %d emails; want one of each", n, w.smtp.Count(tn.email))
	}

	// Paid: the machine runs again, once, and counts again.
	w.paid(tn)
	startsBefore := w.starts(tn)
	w.pass(m)
	w.pass(m)
	if state := w.machineState(tn); state != "started" || !w.user(tn).Control.SuspendedAt.IsZero() {
		t.Fatalf("after the payment the machine is %s, suspended at %s; want started, not suspended", state, w.user(tn).Control.SuspendedAt)
	}
	if n := w.starts(tn) - startsBefore; n != 1 {
		t.Fatalf("the payment started the machine %d times, want once", n)
	}
	res := eventsOf(w.audit(tn), launchpad.AuditTenantResumed)
	if len(res) != 1 || res[0].Details["machine_started"] != "true" || res[0].Details["held_by_hour_cap"] != "false" || res[0].Details["suspended_at"] != formatTime(suspendedAt) {
		t.Fatalf("tenant.resumed events %+v", res)
	}
	before := w.hours(tn)
	w.clock.Advance(time.Hour)
	w.pass(m)
	if got := w.hours(tn); !approx(got, before+1) {
		t.Fatalf("after resuming: %v hours, want %v", got, before+1)
	}
}

// A payment lifts the suspension but not the hour cap: a machine capped in this cycle stays
// stopped (the resume says so) and the next cycle starts it. A suspension that spans the
// start of a cycle keeps the machine stopped: a new cycle does not start a suspended machine.
func TestSuspensionAndTheHourCap(t *testing.T) {
	w := newWorld(t, jan1.Add(20*24*time.Hour))
	tn, m := w.cappedTenant()
	w.pastDue(tn)
	w.clock.Advance(testGrace)
	w.pass(m)
	if ev := lastEvent(w.audit(tn), launchpad.AuditTenantSuspended); ev == nil || ev.Details["machine_stopped"] != "true" {
		t.Fatalf("a capped machine's suspension: %+v", ev)
	}
	w.paid(tn)
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("paid but capped: the machine is %s, want stopped until the next cycle", state)
	}
	if ev := lastEvent(w.audit(tn), launchpad.AuditTenantResumed); ev == nil || ev.Details["held_by_hour_cap"] != "true" || ev.Details["machine_started"] != "false" {
		t.Fatalf("tenant.resumed while capped: %+v", ev)
	}

	// Past due again, across the cycle end: the new cycle leaves it stopped.
	w.pastDue(tn)
	w.clock.Set(feb1.Add(-time.Hour))
	w.pass(m)
	w.clock.Set(feb1.Add(time.Hour))
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" {
		t.Fatalf("a suspended machine is %s in the next cycle, want stopped", state)
	}
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantSuspended)); n != 2 {
		t.Fatalf("%d suspensions, want 2", n)
	}
	w.paid(tn)
	w.pass(m)
	if state := w.machineState(tn); state != "started" {
		t.Fatalf("paid in a new cycle: the machine is %s, want started", state)
	}
}

// Two replicas past the grace at once suspend the tenant once: one stop, one audit event,
// one email; and resume it once.
func TestTwoReplicasSuspendOnce(t *testing.T) {
	w := newWorld(t, jan1.Add(2*24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	w.roomyCap()
	a, b := w.meter(nil), w.meter(nil)
	w.pass(a)
	w.pastDue(tn)
	w.clock.Advance(testGrace + time.Minute)
	both := func() {
		var wg sync.WaitGroup
		for _, m := range []*Meter{a, b, a, b} {
			wg.Go(func() {
				if err := m.RunOnce(context.Background()); err != nil {
					t.Errorf("RunOnce: %v", err)
				}
			})
		}
		wg.Wait()
	}
	both()
	w.clock.Advance(time.Minute)
	both()
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantSuspended)); n != 1 || w.smtp.Count(tn.email) != 1 || w.machineState(tn) != "stopped" {
		t.Fatalf("two replicas: %d suspension events, %d emails, machine %s; want one, one, stopped", n, w.smtp.Count(tn.email), w.machineState(tn))
	}
	w.paid(tn)
	startsBefore := w.starts(tn)
	both()
	both()
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantResumed)); n != 1 || w.starts(tn)-startsBefore != 1 {
		t.Fatalf("two replicas: %d resume events and %d starts; want one of each", n, w.starts(tn)-startsBefore)
	}
}

// A suspended subscription that is canceled instead of paid stays stopped: billing destroys
// the tenant after its retention.
func TestCanceledWhileSuspendedStaysStopped(t *testing.T) {
	w := newWorld(t, jan1.Add(2*24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	m := w.meter(nil)
	w.pass(m)
	w.pastDue(tn)
	w.clock.Advance(testGrace)
	w.pass(m)
	w.setSubscription(tn, func(s *launchpad.Subscription) { s.Status, s.CanceledAt = "canceled", w.clock.Now() })
	w.clock.Advance(time.Hour)
	w.pass(m)
	w.clock.Set(feb1.Add(time.Hour))
	w.pass(m)
	if state := w.machineState(tn); state != "stopped" || w.user(tn).Control.SuspendedAt.IsZero() {
		t.Fatalf("canceled while suspended: machine %s, suspended at %s; want stopped and still suspended", state, w.user(tn).Control.SuspendedAt)
	}
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantResumed)); n != 0 {
		t.Fatalf("a canceled subscription was resumed %d times", n)
	}
}

// failingStarts is a Runtime whose next StartMachine calls fail.
type failingStarts struct {
	launchpad.Runtime
	fail atomic.Int32
}

func (f *failingStarts) StartMachine(ctx context.Context, app, id string) error {
	if f.fail.Add(-1) >= 0 {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "Fly is unavailable (injected)")
	}
	return f.Runtime.StartMachine(ctx, app, id)
}

// A resume whose start fails keeps the tenant suspended, so the next pass resumes it again;
// the resume is audited once, when the machine runs.
func TestFailedResumeIsRetried(t *testing.T) {
	w := newWorld(t, jan1.Add(2*24*time.Hour))
	tn := w.provision(1, &cycle{jan1, feb1})
	w.roomyCap()
	rt := &failingStarts{Runtime: w.rt}
	m, err := New(Deps{Store: w.store, Runtime: rt, Clock: w.clock, PastDueGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.pass(m)
	w.pastDue(tn)
	w.clock.Advance(time.Hour)
	w.pass(m)
	if w.machineState(tn) != "stopped" {
		t.Fatal("not suspended after a one-hour grace")
	}
	w.paid(tn)
	rt.fail.Store(1)
	if err := m.RunOnce(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("the pass with a failing start reported: %v", err)
	}
	if state := w.machineState(tn); state != "stopped" || w.user(tn).Control.SuspendedAt.IsZero() {
		t.Fatalf("after a failed start: machine %s, suspended at %s; want still stopped and suspended", state, w.user(tn).Control.SuspendedAt)
	}
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantResumed)); n != 0 {
		t.Fatalf("a resume whose start failed was audited (%d)", n)
	}
	w.clock.Advance(time.Minute)
	w.pass(m)
	if state := w.machineState(tn); state != "started" || !w.user(tn).Control.SuspendedAt.IsZero() {
		t.Fatalf("the retry: machine %s, suspended at %s; want started", state, w.user(tn).Control.SuspendedAt)
	}
	if n := len(eventsOf(w.audit(tn), launchpad.AuditTenantResumed)); n != 1 {
		t.Fatalf("%d resume events, want 1", n)
	}
}

func TestNewRefusesANegativeGrace(t *testing.T) {
	w := newWorld(t, jan1)
	if _, err := New(Deps{Store: w.store, Runtime: w.rt, PastDueGrace: -time.Second}); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("New with a negative grace: %v; want EINVALID", err)
	}
}
