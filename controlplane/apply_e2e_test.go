package controlplane

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestServeTurnsStripeEventsIntoTenants runs the product's main loop through serve's own
// wiring on loopback: a user signs in, pays (signed webhooks over HTTP), and their tenant is
// created, resized and torn down by real tofu applies of this provider against the
// simulators. On the way: the job list and the live log stream of the admin API, a
// duplicate delivery, an out-of-order update, an operator's re-trigger and GET /api/me.
func TestServeTurnsStripeEventsIntoTenants(t *testing.T) {
	const retention = 4 * time.Second
	s := startFleet(t, map[string]string{"LAUNCHPAD_VOLUME_RETENTION": retention.String()})

	// A user signs in (the code arrives over SMTP); checkout names them as client_reference_id.
	const email = "ada@example.com"
	token := s.signIn(email)
	me := s.me(token)
	user := me.User.ID
	if me.Apply != nil || len(me.Tenants) != 0 {
		t.Fatalf("before checkout /api/me shows %+v", me)
	}
	base := time.Now().Truncate(time.Second)
	period := base.Truncate(24 * time.Hour)
	created := billingtest.SubscriptionCreated("evt_created", base, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: period}).Body

	// 1. Checkout: the tenant and its sub-key appear with the starter plan's size and limit,
	//    and the admin API streams the apply's log while it runs (the Fly simulator is
	//    slowed down so that the stream opens before the apply ends).
	s.fly.Sim.SetFaults(sim.Faults{Latency: 100 * time.Millisecond})
	if s.deliver(billingtest.CheckoutCompleted("evt_checkout", base, billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: user, Email: email, Subscription: "sub_1"}).Body) {
		t.Fatal("a first delivery was called a duplicate")
	}
	if s.deliver(created) {
		t.Fatal("a first delivery was called a duplicate")
	}
	var job JobJSON
	waitFor(t, "the starter apply job", time.Minute, func() bool {
		js := s.applies(user)
		if len(js) == 1 {
			job = js[0]
		}
		return len(js) == 1
	})
	if job.Apply == nil || job.Apply.Plan != "starter" || job.Apply.Destroy || job.Apply.UserID != user {
		t.Fatalf("apply job %+v; want the starter plan for %s", job, user)
	}
	events := streamLog(t, s, job.ID)
	took := waitFor(t, "the starter tenant", 3*time.Minute, func() bool {
		_, ok := tenantIs(s.fly, s.or, 1, 1024, 10)
		return ok && len(succeeded(s.applies(user))) == 1
	})
	t.Logf("MEASURED checkout webhook to tenant running on the simulators (through serve): %s", took.Round(time.Millisecond))
	s.fly.Sim.SetFaults(sim.Faults{})
	app, _ := tenantIs(s.fly, s.or, 1, 1024, 10)
	checkStream(t, events, "launchpad_tenant.this: Creating...", launchpad.PlanSummary{Add: 2})

	first := s.applies(user)[0]
	if first.Summary != (SummaryJSON{Add: 2}) || first.Attempts != 1 || first.StartedAt == nil || first.FinishedAt == nil || first.DurationMS == nil || first.Error != "" {
		t.Fatalf("the job list shows %+v; want one attempt with timings and 2 to add", first)
	}
	if r := s.admin(http.MethodGet, "/api/admin/jobs/"+first.ID); r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"summary":{"add":2,"change":0,"destroy":0}`)) {
		t.Fatalf("GET /api/admin/jobs/%s: %d %s", first.ID, r.status, r.body)
	}
	r := s.admin(http.MethodGet, "/api/admin/jobs/"+first.ID+"/log?follow=false")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !bytes.Contains(r.body, []byte("Apply complete!")) {
		t.Fatalf("the plain log: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	me = s.me(token)
	if len(me.Tenants) != 1 || me.Tenants[0].AppName != app || me.Tenants[0].Plan != "starter" || me.Tenants[0].IPv4 == "" ||
		me.Apply == nil || me.Apply.Status != launchpad.JobSucceeded || me.Apply.Plan != "starter" || me.Apply.Summary.Add != 2 || me.Subscription.Status != "active" {
		t.Fatalf("/api/me after checkout: %+v (apply %+v)", me, me.Apply)
	}

	// 2. The same event delivered again: recorded once, nothing new applied. Only a
	// processed event enqueues an apply, so with no new event job nothing can follow later.
	eventJobs := len(s.jobs("kind=" + launchpad.JobStripeEvent))
	if !s.deliver(created) {
		t.Fatal("a repeated delivery was not called a duplicate")
	}
	if n := len(s.jobs("kind=" + launchpad.JobStripeEvent)); n != eventJobs {
		t.Fatalf("a duplicate delivery enqueued %d event jobs", n-eventJobs)
	}
	if js := s.applies(user); len(js) != 1 {
		t.Fatalf("a duplicate delivery led to %d apply jobs, want 1", len(js))
	}

	// 3. Upgrade: the machine is resized and the key limit raised, both in place.
	s.deliver(billingtest.SubscriptionUpdated("evt_upgrade", base.Add(2*time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_ProMonthly", PeriodStart: period}).Body)
	took = waitFor(t, "the pro tenant", 3*time.Minute, func() bool {
		_, ok := tenantIs(s.fly, s.or, 2, 4096, 50)
		return ok && len(succeeded(s.applies(user))) == 2
	})
	t.Logf("MEASURED upgrade webhook to machine resized (through serve): %s", took.Round(time.Millisecond))
	if again, _ := tenantIs(s.fly, s.or, 2, 4096, 50); again != app {
		t.Fatalf("the upgrade replaced app %s with %s", app, again)
	}
	if sum := s.applies(user)[0].Summary; sum.Add != 0 || sum.Destroy != 0 || sum.Change != 2 {
		t.Fatalf("upgrade summary %+v: want the tenant and its key changed in place", sum)
	}

	// 4. An update older than the upgrade, delivered after it: no downgrade, nothing applied.
	s.deliver(billingtest.SubscriptionUpdated("evt_older", base.Add(time.Second), billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active", Price: "price_StarterMonthly", PeriodStart: period}).Body)
	waitFor(t, "the late event to be processed", time.Minute, func() bool {
		e, err := s.store.GetStripeEvent(t.Context(), "evt_older")
		return err == nil && !e.ProcessedAt.IsZero()
	})
	if me := s.me(token); me.User.Plan != "pro" || len(s.applies(user)) != 2 {
		t.Fatalf("after a late older update: plan %q, %d applies", me.User.Plan, len(s.applies(user)))
	}
	if _, ok := tenantIs(s.fly, s.or, 2, 4096, 50); !ok {
		t.Fatal("the tenant moved after a late older update")
	}

	// 5. An operator re-triggers the apply: the desired state is already there, so tofu
	//    plans nothing and applies nothing.
	r = s.admin(http.MethodPost, "/api/admin/tenants/"+user+"/apply")
	mustStatus(t, r, http.StatusAccepted)
	var again JobJSON
	r.decode(t, &again)
	if again.Status != launchpad.JobQueued || again.Apply == nil || again.Apply.Plan != "pro" || again.Apply.Reason != "admin" {
		t.Fatalf("re-triggered job %+v", again)
	}
	waitFor(t, "the re-triggered apply", 3*time.Minute, func() bool {
		r := s.admin(http.MethodGet, "/api/admin/jobs/"+again.ID)
		r.decode(t, &again)
		return again.Status == launchpad.JobSucceeded
	})
	if again.Summary != (SummaryJSON{}) {
		t.Fatalf("a re-trigger of the applied state changed %+v", again.Summary)
	}

	// 6. Cancellation: the tenant is kept for the retention, then torn down.
	ended := time.Now().Truncate(time.Second)
	s.deliver(billingtest.SubscriptionDeleted("evt_deleted", ended, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_ProMonthly", PeriodStart: period}).Body)
	took = waitFor(t, "the tenant to be torn down after the retention", 3*time.Minute, func() bool {
		done := succeeded(s.applies(user))
		return len(done) == 4 && done[0].Apply != nil && done[0].Apply.Destroy && len(liveMachines(s.fly)) == 0 && len(liveKeyLimits(s.or)) == 0
	})
	t.Logf("MEASURED cancellation to tenant torn down (retention %s included): %s", retention, took.Round(time.Millisecond))
	last := s.applies(user)[0]
	if last.StartedAt == nil || last.StartedAt.Before(ended.Add(retention)) {
		t.Fatalf("the destroy started at %v, before the retention ended at %s", last.StartedAt, ended.Add(retention))
	}
	if last.Summary != (SummaryJSON{Destroy: 2}) {
		t.Fatalf("destroy summary %+v, want 2 to destroy", last.Summary)
	}
	if st, err := s.store.GetState(t.Context(), user); err != nil || bytes.Contains(st.Data, []byte(`"launchpad_tenant"`)) {
		t.Fatalf("the stored state after the destroy: %v; want saved without the tenant", err)
	}
	if me := s.me(token); len(me.Tenants) != 0 || me.Apply == nil || !me.Apply.Destroy || me.Apply.Status != launchpad.JobSucceeded || me.Subscription.Status != "canceled" {
		t.Fatalf("/api/me after the teardown: %+v (apply %+v)", me, me.Apply)
	}
	// Each delivery is recorded once, the duplicate included.
	evs, err := s.store.ListStripeEvents(t.Context(), 100)
	if err != nil || len(evs) != 5 {
		t.Fatalf("%d Stripe events recorded (%v); want 5", len(evs), err)
	}
	if m := s.do(http.MethodGet, "/metrics", "", nil, nil); !bytes.Contains(m.body, []byte(`launchpad_jobs_finished_total{kind="apply",status="succeeded"} 4`)) {
		t.Errorf("metrics do not count the 4 applies:\n%s", m.body)
	}
	s.assertNoSecretsInLogs()
}

// streamLog opens the SSE log stream of a job and returns its events as they arrive.
func streamLog(t *testing.T, s *stack, id string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/api/admin/jobs/"+id+"/log"), nil)
	req.Header.Set("Authorization", "Bearer "+stackAdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		res.Body.Close()
		t.Fatalf("log stream answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer res.Body.Close()
		readSSE(bufio.NewReader(res.Body), ch)
	}()
	return ch
}

// checkStream reads a finished job's stream: a status event first, log lines that include
// want while the job ran, and an end event with the job's summary.
func checkStream(t *testing.T, events <-chan sseEvent, want string, summary launchpad.PlanSummary) {
	t.Helper()
	var (
		seen     []string
		statuses []string
		logged   strings.Builder
		end      *JobJSON
	)
	timeout := time.After(time.Minute)
	for end == nil {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended without an end event after %v", seen)
			}
			seen = append(seen, ev.Name)
			switch ev.Name {
			case "status":
				var st struct{ Status string }
				mustJSON(t, ev.Data[0], &st)
				statuses = append(statuses, st.Status)
			case "log":
				if ev.ID == "" {
					t.Fatal("a log event without an id (its byte offset)")
				}
				for _, l := range ev.Data {
					logged.WriteString(l + "\n")
				}
			case "end":
				end = &JobJSON{}
				mustJSON(t, ev.Data[0], end)
			}
		case <-timeout:
			t.Fatalf("no end event within a minute; events so far %v", seen)
		}
	}
	if seen[0] != "status" || !slices.Contains(statuses, launchpad.JobRunning) || !strings.Contains(logged.String(), want) {
		t.Fatalf("stream events %v; log streamed:\n%s", seen, logged.String())
	}
	if statuses[len(statuses)-1] != launchpad.JobSucceeded || end.Status != launchpad.JobSucceeded ||
		end.Summary != (SummaryJSON{Add: summary.Add, Change: summary.Change, Destroy: summary.Destroy}) {
		t.Fatalf("stream statuses %v, end %+v", statuses, end)
	}
	t.Logf("the log stream delivered %d events, %d bytes of log, statuses %v", len(seen), logged.Len(), statuses)
}

// assertNoSecretsInLogs checks serve's log for the secrets it was given.
func (s *stack) assertNoSecretsInLogs() {
	s.t.Helper()
	logs := s.logs.String()
	if logs == "" {
		s.t.Fatal("serve logged nothing; the check would prove nothing")
	}
	for _, k := range []string{"PLATFORM_SECRET", "STRIPE_WEBHOOK_SECRET", "LAUNCHPAD_ADMIN_TOKEN", "FLY_API_TOKEN", "OPENROUTER_MANAGEMENT_KEY", "STRIPE_API_KEY"} {
		if v := s.env[k]; v != "" && strings.Contains(logs, v) {
			s.t.Errorf("serve's log holds the value of %s", k)
		}
	}
}
