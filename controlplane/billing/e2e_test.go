package billing_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// launchpadBinary is the provider the end-to-end test's tofu runs, built on first use.
var launchpadBinary stacktest.Binary

// TestMain removes the provider binary built for the end-to-end test, if any.
func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

// jobEnds is signalled (without blocking) each time a pool finishes a job.
type jobEnds chan struct{}

func (e jobEnds) hook(*launchpad.Job, error) {
	select {
	case e <- struct{}{}:
	default: // one pending signal is enough: the waiter checks again anyway
	}
}

// waitFor checks cond now and again each time a job ends — what the end-to-end test waits
// for changes only when a job ends — until it holds or two minutes pass, and says how long
// it took.
func (e jobEnds) waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(2 * time.Minute)
	for !cond() {
		select {
		case <-e:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	return time.Since(start)
}

// TestStripeEventsDriveTheTenant runs the whole loop on loopback: signed webhooks over HTTP,
// the queue's workers, the processor, and real tofu applies of the provider against the
// simulators.
func TestStripeEventsDriveTheTenant(t *testing.T) {
	tofu := stacktest.Tofu(t)
	binary := launchpadBinary.Path(t)
	fly := simtest.StartFly(t, sim.FlyOptions{})
	or := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	s, storePath := newStore(t)
	plans(t, s)
	log, _ := newLogger(t)

	var pool *queue.Pool
	wake := func() { pool.Wake() }
	const retention = 3 * time.Second
	proc, err := billing.NewProcessor(billing.ProcessorConfig{Store: s, VolumeRetention: retention, Wake: wake, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	run, err := runner.New(runner.Config{
		Store: s, Tofu: tofu, DataDir: t.TempDir(), ProviderBinary: binary, Logger: log,
		ProviderEnv: runner.ProviderEnvFromEnv(func(k string) string {
			return map[string]string{
				"LAUNCHPAD_STORE": "sqlite://" + storePath, "PLATFORM_SECRET": "billing-e2e-platform-secret-0123456789abcdef",
				"FLY_API_TOKEN": fly.Token, "FLY_ORG": "acme", "FLY_FLAPS_BASE_URL": fly.URL,
				"OPENROUTER_MANAGEMENT_KEY": or.ManagementKey, "OPENROUTER_API_URL": or.URL,
			}[k]
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	handlers := proc.Handlers()
	handlers[launchpad.JobApply] = run.Run
	ends := make(jobEnds, 1)
	pool, err = queue.New(queue.Config{Store: s, Handlers: handlers, Workers: 2, Poll: 100 * time.Millisecond, Logger: log,
		Backoff: func(int) time.Duration { return 500 * time.Millisecond }, OnFinished: ends.hook})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	poolDone := make(chan struct{})
	go func() { defer close(poolDone); _ = pool.Run(ctx) }()
	t.Cleanup(func() { stop(); <-poolDone })
	url := webhookServer(t, billing.WebhookConfig{Store: s, Secrets: []string{secret}, OnRecorded: wake, Logger: log})

	const user = "alice01"
	if err := s.CreateUser(t.Context(), &launchpad.User{ID: user, Email: "alice@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Truncate(time.Second)
	liveMachine := func() *sim.MachineSnapshot {
		apps := fly.Sim.Snapshot().Apps
		if len(apps) != 1 {
			return nil
		}
		for _, m := range apps[0].Machines {
			if m.State != "destroyed" {
				return &m
			}
		}
		return nil
	}
	keyLimit := func() float64 {
		for _, k := range or.Sim.Snapshot().Keys {
			if !k.Disabled && k.Limit != nil {
				return *k.Limit
			}
		}
		return -1
	}
	succeededApplies := func() []*launchpad.Job {
		var out []*launchpad.Job
		for _, j := range jobs(t, s, launchpad.JobFilter{Kind: launchpad.JobApply, Key: user}) {
			if j.Status == launchpad.JobSucceeded {
				out = append(out, j)
			}
		}
		return out
	}

	// 1. Checkout: the tenant and its sub-key appear with the starter plan's size and limit.
	created := subscriptionEvent2("evt_created", billing.EventSubscriptionCreated, base, "active", "price_Starter")
	deliver(t, url, billingtest.CheckoutCompleted("evt_checkout", base, billingtest.Checkout{ID: "cs_1", Customer: "cus_1", UserID: user, Email: "alice@example.com", Subscription: "sub_1"}))
	deliver(t, url, created)
	took := ends.waitFor(t, "the starter tenant", func() bool {
		m := liveMachine()
		return m != nil && m.Guest.CPUs == 1 && m.Guest.MemoryMB == 1024 && keyLimit() == 10 && len(succeededApplies()) == 1
	})
	t.Logf("MEASURED checkout webhook to tenant running on the simulators: %s", took.Round(time.Millisecond))
	app := fly.Sim.Snapshot().Apps[0].Name

	// 2. The same event again: a duplicate, so nothing is queued and nothing new applied.
	if r := deliver(t, url, created); r.body["duplicate"] != true {
		t.Fatalf("the same event again answered %s; want a duplicate", r.raw)
	}
	ends.waitFor(t, "the queue to be idle", func() bool {
		for _, j := range jobs(t, s, launchpad.JobFilter{}) {
			if j.Status == launchpad.JobQueued || j.Status == launchpad.JobRunning {
				return false
			}
		}
		return true
	})
	if n := len(jobs(t, s, launchpad.JobFilter{Kind: launchpad.JobApply, Key: user})); n != 1 {
		t.Fatalf("a duplicate delivery led to %d apply jobs, want 1", n)
	}

	// 3. Upgrade: resized in place, key limit raised in place.
	deliver(t, url, subscriptionEvent2("evt_upgrade", billing.EventSubscriptionUpdated, base.Add(2*time.Second), "active", "price_Pro"))
	took = ends.waitFor(t, "the pro tenant", func() bool {
		m := liveMachine()
		return m != nil && m.Guest.CPUs == 2 && m.Guest.MemoryMB == 4096 && keyLimit() == 50 && len(succeededApplies()) == 2
	})
	t.Logf("MEASURED upgrade webhook to machine resized on the simulators: %s", took.Round(time.Millisecond))
	if apps := fly.Sim.Snapshot().Apps; len(apps) != 1 || apps[0].Name != app || apps[0].Volumes[0].SizeGB != 20 {
		t.Fatalf("after the upgrade the apps are %+v; want %s kept with its volume grown to 20 GB", apps, app)
	}
	if sum := succeededApplies()[0].Summary; sum.Add != 0 || sum.Destroy != 0 || sum.Change == 0 {
		t.Fatalf("upgrade summary %+v: want in-place changes only", sum)
	}

	// 4. An older update delivered late: no downgrade.
	deliver(t, url, subscriptionEvent2("evt_older", billing.EventSubscriptionUpdated, base.Add(time.Second), "active", "price_Starter"))
	ends.waitFor(t, "the late event to be processed", func() bool {
		e, err := s.GetStripeEvent(t.Context(), "evt_older")
		return err == nil && !e.ProcessedAt.IsZero()
	})
	if u := getUser(t, s, user); u.Plan != "pro" || len(jobs(t, s, launchpad.JobFilter{Kind: launchpad.JobApply, Key: user})) != 2 {
		t.Fatalf("after a late older update the user is on %q", u.Plan)
	}

	// 5. Cancellation: kept for the retention, then torn down.
	ended := base.Add(3 * time.Second)
	deliver(t, url, billingtest.SubscriptionDeleted("evt_deleted", ended, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Price: "price_Pro", PeriodStart: base}))
	ends.waitFor(t, "the tenant to be torn down after the retention", func() bool {
		done := succeededApplies()
		if len(done) != 3 {
			return false
		}
		d, _ := launchpad.ParseApplyRequest(done[0].Payload)
		return d.Destroy && len(fly.Sim.Snapshot().Apps) == 0 && keyLimit() == -1
	})
	if now := time.Now(); now.Before(ended.Add(retention)) {
		t.Fatalf("the tenant was torn down at %s, before the retention ended at %s", now, ended.Add(retention))
	}
	last := succeededApplies()[0]
	if d, _ := launchpad.ParseApplyRequest(last.Payload); !d.Destroy || last.Summary.Destroy != 2 {
		t.Fatalf("last apply %+v with summary %+v; want the destroy of 2 resources", d, last.Summary)
	}
	if st, err := s.GetState(t.Context(), user); err != nil || bytes.Contains(st.Data, []byte(`"launchpad_tenant"`)) {
		t.Fatalf("the stored state after the destroy: %v; want saved without the tenant", err)
	}
}

// subscriptionEvent2 is an event of type typ about sub_1 of cus_1, in the period of the day
// it was created.
func subscriptionEvent2(id, typ string, created time.Time, status, price string) billingtest.Event {
	return billingtest.NewEvent(id, typ, created, billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: status, Price: price, PeriodStart: created.Truncate(24 * time.Hour)}.Object())
}
