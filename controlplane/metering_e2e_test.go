package controlplane

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// jumpClock is the wall clock plus an offset a test moves forward: machine time (the Fly
// simulator's events and the metering loop) runs normally, and jumps hours when told.
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestMeShowsHoursAndSpend runs serve with the metering loop every second on a clock shared
// with the Fly simulator: two hours of machine time later, GET /api/me shows them against the
// plan's cap with the cycle's end, and the sub-key's spend against its limit; once the key is
// spent out it says so (and the audit panel has key.spend_exhausted); with OpenRouter too slow
// to answer, /api/me still answers at once from what the store knows.
func TestMeShowsHoursAndSpend(t *testing.T) {
	clock := &jumpClock{}
	s := startStackWith(t, stackOptions{realTofu: true, clock: clock, env: map[string]string{"LAUNCHPAD_METER_INTERVAL": "1s"}})
	createPlans(t, s.store)
	token, user, _ := s.provision("hana@example.com")
	key, _ := s.storedKey(s.keyring(), user)
	if got := s.spend(key, 2.5); got != http.StatusOK {
		t.Fatalf("spending with the tenant's key: %d", got)
	}

	clock.Jump(2 * time.Hour)
	var me *MeResponse
	took := waitFor(t, "two metered hours in /api/me", time.Minute, func() bool {
		me = s.me(token)
		return me.Usage.HoursUsed >= 2
	})
	t.Logf("MEASURED a two-hour jump to /api/me showing it (metering every second): %s", took.Round(time.Millisecond))
	u := me.Usage
	if u.HoursUsed > 2.1 || u.HoursCap == nil || *u.HoursCap != 100 || u.CycleEnd == nil || u.Capped {
		t.Fatalf("usage %+v; want about 2 of 100 hours, a cycle end, not capped", u)
	}
	if me.SpendSource != string(account.SpendFromOpenRouter) || u.SpendUSD == nil || *u.SpendUSD != 2.5 || u.SpendLimitUSD == nil || *u.SpendLimitUSD != 10 ||
		u.SpendRemainingUSD == nil || *u.SpendRemainingUSD != 7.5 || u.SpendExhausted {
		t.Fatalf("spend %+v from %q; want 2.5 of 10 from openrouter", u, me.SpendSource)
	}
	if me.Subscription.SuspendedAt != nil || me.Subscription.PastDueSince != nil {
		t.Fatalf("an active subscription shows %+v", me.Subscription)
	}

	// Spent out: the gateway answers 402, /api/me and the audit panel say so.
	if got := s.spend(key, 8); got != http.StatusOK {
		t.Fatalf("the charge that reaches the limit: %d", got)
	}
	if got := s.spend(key, 0.01); got != http.StatusPaymentRequired {
		t.Fatalf("past the limit the gateway answers %d; want 402", got)
	}
	waitFor(t, "the meter to see the key spent out", time.Minute, func() bool {
		return findEvent(s.auditOf(token), launchpad.AuditSpendExhausted, "") != nil
	})
	if me = s.me(token); !me.Usage.SpendExhausted || me.SpendSource != string(account.SpendFromOpenRouter) {
		t.Fatalf("/api/me after the 402: %+v from %q", me.Usage, me.SpendSource)
	}

	// OpenRouter too slow: /api/me answers within its bound from the store.
	s.or.Sim.SetFaults(sim.Faults{Latency: 10 * time.Second})
	start := time.Now()
	me = s.me(token)
	t.Logf("MEASURED /api/me with OpenRouter answering in 10s: %s", time.Since(start).Round(time.Millisecond))
	s.or.Sim.SetFaults(sim.Faults{})
	if me.SpendSource != string(account.SpendFromLastPass) || !me.Usage.SpendExhausted || me.Usage.SpendUSD != nil || me.Usage.HoursUsed < 2 {
		t.Fatalf("/api/me with OpenRouter slow: %+v from %q; want the stored state (hours, exhausted) without live spend", me.Usage, me.SpendSource)
	}
}

// TestUnpaidBeyondTheGraceIsSuspendedAndResumedOnPayment: with a 3-second grace, a failed
// payment leaves the machine running for the grace, then the metering loop stops it, audits
// tenant.suspended and emails the user once, and /api/me shows the suspension; the payment
// (invoice.paid) starts it again, audited. Billing applies nothing meanwhile.
func TestUnpaidBeyondTheGraceIsSuspendedAndResumedOnPayment(t *testing.T) {
	const grace = 3 * time.Second
	s := startFleet(t, map[string]string{"LAUNCHPAD_METER_INTERVAL": "1s", "LAUNCHPAD_PAST_DUE_GRACE": grace.String()})
	const email = "ines@example.com"
	token, user, tn := s.provision(email)
	mailsBefore := s.smtp.Count(email)

	failedAt := time.Now().Truncate(time.Second)
	s.deliver(billingtest.InvoicePaymentFailed("evt_failed", failedAt, billingtest.Invoice{ID: "in_1", Customer: "cus_" + user, Subscription: "sub_" + user, BillingReason: "manual"}).Body)
	waitFor(t, "the failed payment to be recorded", time.Minute, func() bool {
		return s.me(token).Subscription.PastDueSince != nil
	})
	took := waitFor(t, "the machine to be suspended", time.Minute, func() bool {
		return s.machine(tn.AppName, tn.MachineID).State == "stopped"
	})
	if suspendedAfter := time.Since(failedAt); suspendedAfter < grace {
		t.Fatalf("suspended %s after the failed payment, within the %s grace", suspendedAfter, grace)
	}
	t.Logf("MEASURED failed payment recorded to machine stopped (grace %s, metering every 1s): %s", grace, took.Round(time.Millisecond))
	me := s.me(token)
	if me.Subscription.Status != "past_due" || me.Subscription.SuspendedAt == nil || me.Subscription.SuspendedAt.Before(failedAt.Add(grace)) {
		t.Fatalf("/api/me while suspended: %+v", me.Subscription)
	}
	// The metering pass stops the machine first and writes the audit event after it: wait for
	// the event rather than reading the log once.
	var ev *AuditEventJSON
	waitFor(t, "tenant.suspended in the user's audit", time.Minute, func() bool {
		ev = findEvent(s.auditOf(token), launchpad.AuditTenantSuspended, "")
		return ev != nil
	})
	if ev.Actor != "system" || ev.Details["machine_stopped"] != "true" || ev.Details["grace"] != grace.String() {
		t.Fatalf("tenant.suspended in the user's audit: %+v", ev)
	}
	// Two emails, in either order: the failed payment (from billing) and the suspension
	// (from the meter), each in the overview's words.
	s.smtp.WaitFor(t, email, mailsBefore+2, 30*time.Second)
	subjects := map[string]string{}
	for _, m := range s.smtp.Messages() {
		if slices.Contains(m.To, email) {
			subjects[m.Header.Get("Subject")] = m.Body
		}
	}
	if body, ok := subjects["Launchpad: A payment failed"]; !ok || !strings.Contains(body, "Machine stops on: ") {
		t.Fatalf("no past-due email among %v", subjects)
	}
	if body, ok := subjects["Launchpad: Your agent is stopped: a payment is overdue"]; !ok || !strings.Contains(body, "starts again by itself") || !strings.Contains(body, "Deleted on: ") {
		t.Fatalf("no suspension email among %v", subjects)
	}
	// Two more passes of the metering loop (each moves metered_at on): nothing more is
	// audited or sent.
	for range 2 {
		before := s.me(token).Usage.MeteredAt
		waitFor(t, "a metering pass", time.Minute, func() bool {
			after := s.me(token).Usage.MeteredAt
			return before != nil && after != nil && after.After(*before)
		})
	}
	if n := countEvents(s.auditOf(token), launchpad.AuditTenantSuspended); n != 1 || s.smtp.Count(email) != mailsBefore+2 {
		t.Fatalf("%d suspension events and %d emails; want one suspension and two emails (past due, suspended)", n, s.smtp.Count(email)-mailsBefore)
	}
	if js := s.applies(user); len(js) != 1 {
		t.Fatalf("%d apply jobs during the suspension; want only the first", len(js))
	}
	if r := s.admin(http.MethodPost, "/api/admin/tenants/"+user+"/rebuild"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "kept as it is") {
		t.Fatalf("rebuild of a lapsed tenant: %d %s; want 400 saying it is kept as it is", r.status, r.body)
	}

	// Paid: the machine runs again.
	s.deliver(billingtest.InvoicePaid("evt_paid", time.Now(), billingtest.Invoice{ID: "in_1", Customer: "cus_" + user, Subscription: "sub_" + user, BillingReason: "manual"}).Body)
	took = waitFor(t, "the machine to be resumed", time.Minute, func() bool {
		return s.machine(tn.AppName, tn.MachineID).State == "started"
	})
	t.Logf("MEASURED payment delivered to machine started again: %s", took.Round(time.Millisecond))
	waitFor(t, "tenant.resumed", 30*time.Second, func() bool { return findEvent(s.auditOf(token), launchpad.AuditTenantResumed, "") != nil })
	me = s.me(token)
	if me.Subscription.Status != "active" || me.Subscription.SuspendedAt != nil || me.Subscription.PastDueSince != nil {
		t.Fatalf("/api/me after the payment: %+v", me.Subscription)
	}
	if ev := findEvent(s.auditOf(token), launchpad.AuditTenantResumed, ""); ev.Details["machine_started"] != "true" {
		t.Fatalf("tenant.resumed %+v", ev)
	}
	if u, err := s.store.GetUser(context.Background(), user); err != nil || !u.Control.SuspendedAt.IsZero() {
		t.Fatalf("the user's suspension after the payment: %+v, %v", u.Control, err)
	}
}

// TestServeWithoutFlyOrOpenRouter: serve starts without FLY_API_TOKEN and
// OPENROUTER_MANAGEMENT_KEY, says at start-up what is off, and answers exec and revoke-key
// 503 with what to set; /api/me has no live spend.
func TestServeWithoutFlyOrOpenRouter(t *testing.T) {
	s := startStack(t, false, map[string]string{"FLY_API_TOKEN": "", "OPENROUTER_MANAGEMENT_KEY": ""})
	logs := s.logs.String()
	for _, want := range []string{"FLY_API_TOKEN is not set: metering", "operator exec are off", "OPENROUTER_MANAGEMENT_KEY is not set"} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve's start-up log does not say %q:\n%s", want, logs)
		}
	}
	r := s.do(http.MethodPost, "/api/admin/tenants/u1/exec", stackAdminToken, map[string]string{"Content-Type": "application/json", "X-Launchpad-Operator": "ops"}, []byte(`{"command":["ls"]}`))
	if r.status != http.StatusServiceUnavailable || r.errorCode(t) != launchpad.EUNAVAILABLE || !strings.Contains(string(r.body), "FLY_API_TOKEN") {
		t.Fatalf("exec without Fly: %d %s", r.status, r.body)
	}
	r = s.admin(http.MethodPost, "/api/admin/tenants/u1/revoke-key")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "OPENROUTER_MANAGEMENT_KEY") {
		t.Fatalf("revoke-key without OpenRouter: %d %s", r.status, r.body)
	}
	token := s.signIn("zoe@example.com")
	if me := s.me(token); me.SpendSource != string(account.SpendFromNowhere) || me.Usage.HoursCap != nil {
		t.Fatalf("/api/me of a new user: %+v from %q", me.Usage, me.SpendSource)
	}
}

// countEvents is how many of the events have the action.
func countEvents(events []AuditEventJSON, action string) int {
	n := 0
	for _, e := range events {
		if e.Action == action {
			n++
		}
	}
	return n
}
