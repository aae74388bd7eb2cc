package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// controlPlaneRun is the crash and load scenarios' world: one sandbox, one store, and serve
// run on them again and again (host). With -store postgres a second replica, b, with a data
// directory of its own (as on another machine), shares the store with the first, h.
type controlPlaneRun struct {
	c       *chaos
	dir     string
	sb      *stack.Sandbox
	st      launchpad.Store
	keyring *envelope.Keyring
	plans   map[string]stack.Plan
	h       *host
	b       *host // nil with one replica

	postmen   []*postman
	customers []*customer
	lat       *latencies
	bodies    *bodies

	mu        sync.Mutex
	collected map[string]invariants.Secret // every plaintext key seen in the store, by value
	stopWatch context.CancelFunc
	watchDone chan struct{}
}

// setup starts the sandbox, applies the fleet's plans with tofu, opens the store and starts
// serve; once.
func (cp *controlPlaneRun) setup(ctx context.Context) (err error) {
	if cp.h != nil {
		return nil
	}
	c := cp.c
	cp.dir = filepath.Join(c.work, "controlplane")
	if err := os.MkdirAll(cp.dir, 0o700); err != nil {
		return err
	}
	cp.lat, cp.bodies, cp.collected = newLatencies(), newBodies(), map[string]invariants.Secret{}
	if cp.sb, err = stack.StartSandbox(ctx, c.o.Binary, cp.dir, "sandbox", stack.BaseEnv(), "--latency", c.o.latency.String()); err != nil {
		return err
	}
	c.onStop(func() { _ = cp.sb.Stop(10 * time.Second) })
	c.say("sandbox (pid %d): %s latency on every simulated API request", cp.sb.Pid(), c.o.latency)

	storeURL, err := c.storeURL(ctx, cp.dir, "controlplane")
	if err != nil {
		return err
	}
	env := stack.BaseEnv()
	for _, k := range stack.SandboxVars {
		env[k] = cp.sb.Env[k]
	}
	env["FLY_ORG"], env["LAUNCHPAD_STORE"], env["PLATFORM_SECRET"] = "chaos", storeURL, c.secrets.platform
	logFile, err := os.Create(filepath.Join(cp.dir, "plans.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	plans, summary, err := stack.ApplyPlans(ctx, stack.Tofu{Tofu: c.o.Tofu, Binary: c.o.Binary, Dir: filepath.Join(cp.dir, "plans"), Env: env, Log: logFile}, c.o.Fleet)
	if err != nil {
		return err
	}
	for _, price := range []string{priceStarter, pricePro} {
		if _, ok := plans[price]; !ok {
			return fmt.Errorf("no launchpad_plan with stripe_price_id %s in %s; the customers buy that price", price, c.o.Fleet)
		}
	}
	cp.plans = plans
	c.say("plans from %s: %s", c.o.Fleet, summary)
	if cp.st, err = store.Open(ctx, storeURL); err != nil {
		return err
	}
	c.onStop(func() { cp.st.Close() })
	if cp.keyring, err = envelope.NewKeyring(c.secrets.platform, ""); err != nil {
		return err
	}

	for k, v := range map[string]string{
		"LAUNCHPAD_LOG_FORMAT":       "json",
		"LAUNCHPAD_SMTP_URL":         smtp.LogURL, // the load run reads sign-in codes from serve's log
		"LAUNCHPAD_ADMIN_TOKEN":      c.secrets.admin,
		"STRIPE_WEBHOOK_SECRET":      c.secrets.webhook,
		"LAUNCHPAD_VOLUME_RETENTION": "5s",
		"LAUNCHPAD_JOB_LEASE":        c.o.lease.String(),
		"LAUNCHPAD_WORKERS":          fmt.Sprint(c.o.workers),
		"LAUNCHPAD_TOFU":             c.o.Tofu,
		"LAUNCHPAD_DATA_DIR":         filepath.Join(cp.dir, "data"),
	} {
		env[k] = v
	}
	if cp.h, err = cp.startReplica(ctx, "", env); err != nil {
		return err
	}
	if c.o.store == storePostgres {
		envB := maps.Clone(env)
		envB["LAUNCHPAD_DATA_DIR"] = filepath.Join(cp.dir, "replica-b", "data")
		if cp.b, err = cp.startReplica(ctx, "replica-b", envB); err != nil {
			return err
		}
	}

	// Sub-keys come and go (a cancelled tenant's is revoked): keep every plaintext seen, to
	// look for all of them at the end.
	watchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cp.stopWatch, cp.watchDone = cancel, make(chan struct{})
	go func() {
		defer close(cp.watchDone)
		for {
			cp.collectSecrets(watchCtx)
			select {
			case <-watchCtx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	c.onStop(func() { cancel(); <-cp.watchDone })
	return nil
}

// startReplica starts serve on a host of its own, logging into dir/sub.
func (cp *controlPlaneRun) startReplica(ctx context.Context, sub string, env map[string]string) (*host, error) {
	c := cp.c
	dir := filepath.Join(cp.dir, sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	h, err := newHost(c.o.Binary, dir, env, c.rand)
	if err != nil {
		return nil, err
	}
	s, err := h.start(ctx)
	if err != nil {
		return nil, err
	}
	c.onStop(func() { _ = h.stop() })
	name := "serve"
	if sub != "" {
		name = "serve " + sub
	}
	c.say("%s (pid %d) at %s: %d workers, LAUNCHPAD_JOB_LEASE=%s, LAUNCHPAD_VOLUME_RETENTION=5s, %s store", name, s.Pid(), h.url, s.Workers, c.o.lease, c.storeName())
	return h, nil
}

// replicas are the hosts running serve: h, and b with -store postgres.
func (cp *controlPlaneRun) replicas() []*host {
	if cp.b == nil {
		return []*host{cp.h}
	}
	return []*host{cp.h, cp.b}
}

// collectSecrets opens every sealed credential in the store now.
func (cp *controlPlaneRun) collectSecrets(ctx context.Context) {
	secrets, err := invariants.SealedSecrets(ctx, cp.st, cp.keyring)
	if err != nil {
		return // a busy store or a record mid-rotation: the next pass gets it
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, s := range secrets {
		cp.collected[s.Value] = s
	}
}

// kill is one crash of serve.
type kill struct {
	at      time.Duration
	pid     int
	running string // what an apply worker was doing
	down    time.Duration
}

// crash plays the crash scenario.
func (cp *controlPlaneRun) crash(ctx context.Context) error {
	if err := cp.setup(ctx); err != nil {
		return err
	}
	c := cp.c
	customers, ds, err := crashModel(c.rand, "c", c.o.users, c.o.deliveries, c.o.window, time.Now().Add(-2*time.Hour).Truncate(time.Second))
	if err != nil {
		return err
	}
	cp.customers = append(cp.customers, customers...)
	dups, cancels := 0, 0
	for _, d := range ds {
		if d.dup {
			dups++
		}
	}
	for _, cu := range customers {
		if s, _ := cu.expected(func(string) bool { return true }); s.canceled {
			cancels++
		}
	}
	c.say("%d customers, %d deliveries over %s: %d distinct events, %d duplicates, %d delivered older than one before them, %d cancellations",
		len(customers), len(ds), c.o.window, len(ds)-dups, dups, outOfOrder(ds), cancels)

	// One postman per replica: with two, every delivery goes to both (as when Stripe's
	// endpoint is behind a load balancer that retries on the other replica, or two endpoints
	// are registered), and both must record it once between them.
	var pms []*postman
	for _, h := range cp.replicas() {
		pms = append(pms, newPostman(h.url, c.secrets.webhook, nil))
	}
	cp.postmen = append(cp.postmen, pms...)
	sendCtx, stopSending := context.WithCancel(ctx) // a serve that cannot be started again ends the deliveries
	defer stopSending()
	start := time.Now()
	var wg sync.WaitGroup
	var emu sync.Mutex
	var errs []string
	feeds := make([]chan delivery, len(pms))
	for i, pm := range pms {
		feeds[i] = make(chan delivery)
		for range 4 {
			wg.Go(func() {
				for d := range feeds[i] {
					if err := pm.deliver(sendCtx, d.ev); err != nil {
						emu.Lock()
						errs = append(errs, err.Error())
						emu.Unlock()
					}
				}
			})
		}
	}
	go func() {
		defer func() {
			for _, f := range feeds {
				close(f)
			}
		}()
		for _, d := range ds {
			if !sleepUntil(sendCtx, start.Add(d.at)) {
				return
			}
			for _, f := range feeds {
				f <- d
			}
		}
	}()

	kills, err := cp.killer(ctx, start)
	if err != nil {
		stopSending()
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d deliveries failed for good, first: %s", len(errs), errs[0])
	}
	retried := 0
	for _, pm := range pms {
		retried += pm.retried
	}
	c.say("all %d deliveries answered 2xx by each of %d replica(s) after %s; %d attempts got no 2xx (serve down or restarting) and were retried",
		len(ds), len(pms), time.Since(start).Round(100*time.Millisecond), retried)

	took := cp.drain(ctx)
	c.say("queue drained %s after the last delivery", took.Round(100*time.Millisecond))
	events := cp.checkEvents(pms)
	plans := cp.checkPlans(ctx, customers, pms)
	c.add("crash", events, plans, cp.checkJobs(ctx), cp.checkAudit(ctx))
	fleet, err := cp.fleet(ctx)
	if err != nil {
		return err
	}
	c.add("crash", fleet.OneEach(cp.activeUsers(ctx)), fleet.Isolated())

	var ks []string
	for _, k := range kills {
		ks = append(ks, k.at.Round(100*time.Millisecond).String())
	}
	lost := "nothing"
	if events.Failed()+plans.Failed() > 0 {
		lost = fmt.Sprintf("%d events, %d tenants", events.Failed(), plans.Failed())
	}
	scenario := fmt.Sprintf("crash: SIGKILL serve at %s (lease %s)", strings.Join(ks, ", "), c.o.lease)
	if cp.b != nil {
		scenario = fmt.Sprintf("crash: 2 replicas on %s, each given every delivery; SIGKILL one at %s (lease %s)", c.storeName(), strings.Join(ks, ", "), c.o.lease)
	}
	c.row(scenarioRow{
		scenario: scenario,
		runs:     fmt.Sprintf("%d kills, %d serves", len(kills), len(cp.h.logFiles())+len(cp.replicas())-1),
		subjects: fmt.Sprintf("%d deliveries (%d events), %d tenants", len(ds), len(ds)-dups, len(customers)),
		lost:     lost,
	})
	return nil
}

// killer kills serve -kills times at seeded moments over the delivery window and the applies
// that follow it, each time waiting a little for an apply to be running (a kill of an idle
// serve proves less), and starts it again after a seeded pause.
func (cp *controlPlaneRun) killer(ctx context.Context, start time.Time) ([]kill, error) {
	c := cp.c
	span := c.o.window + 10*time.Second
	var at []time.Duration
	for i := range c.o.kills {
		// One kill in each of -kills equal slices of the span, at a random place in it.
		slice := span / time.Duration(c.o.kills)
		room := max(slice-3*time.Second, time.Second)
		at = append(at, 3*time.Second+time.Duration(i)*slice+time.Duration(c.rand.Int64N(int64(room))))
	}
	pauses := make([]time.Duration, len(at))
	for i := range pauses {
		pauses[i] = time.Duration(c.rand.Int64N(int64(1500 * time.Millisecond)))
	}
	var kills []kill
	for i, a := range at {
		if !sleepUntil(ctx, start.Add(a)) {
			return kills, ctx.Err()
		}
		running := cp.waitForApply(ctx, 8*time.Second)
		k := kill{at: time.Since(start), running: running}
		pid, err := cp.h.kill()
		if err != nil {
			return kills, fmt.Errorf("kill #%d: %w", i+1, err)
		}
		k.pid = pid
		down := time.Now()
		time.Sleep(pauses[i])
		s, err := cp.h.start(ctx)
		if err != nil {
			return kills, fmt.Errorf("starting serve again after kill #%d: %w", i+1, err)
		}
		k.down = time.Since(down)
		kills = append(kills, k)
		c.say("kill #%d at %s: SIGKILL serve pid %d while %s; serve pid %d ready %s later", i+1, k.at.Round(100*time.Millisecond), pid, running, s.Pid(), k.down.Round(100*time.Millisecond))
	}
	return kills, nil
}

// waitForApply waits up to d for an apply job to be in `tofu apply` — creating, resizing or
// destroying at the clouds, the moment a crash is most likely to leave something half done —
// and says what it is doing. If none gets there in time, any running apply will do.
func (cp *controlPlaneRun) waitForApply(ctx context.Context, d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		js, err := cp.st.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply, Status: launchpad.JobRunning, Limit: 20})
		late := time.Now().After(deadline) || ctx.Err() != nil
		if err == nil {
			for _, j := range js {
				log, _ := cp.st.ReadJobLog(ctx, j.ID, 0)
				applying := strings.Contains(string(log), "launchpad: tofu apply") && !strings.Contains(string(log), "Apply complete")
				if applying || late {
					return fmt.Sprintf("%d apply job(s) ran (job %s of %s, attempt %d: %q)", len(js), j.ID, j.Key, j.Attempts, lastLine(string(log)))
				}
			}
		}
		if late {
			return "no apply was running"
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastLine is the last line of a job log that says what tofu or the runner was doing.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.Contains(l, "launchpad_") || strings.Contains(l, "launchpad: ") {
			return stack.Truncate(l, 90)
		}
	}
	return "starting"
}

// drain waits until no job is queued or running (three polls in a row), or -drain passes;
// what is left then is reported by checkJobs.
func (cp *controlPlaneRun) drain(ctx context.Context) time.Duration {
	began := time.Now()
	quiet := 0
	for time.Since(began) < cp.c.o.drain && ctx.Err() == nil {
		busy := 0
		for _, status := range []string{launchpad.JobRunning, launchpad.JobQueued} {
			js, err := cp.st.ListJobs(ctx, launchpad.JobFilter{Status: status, Limit: 1000})
			if err != nil {
				busy++
			}
			busy += len(js)
		}
		if busy == 0 {
			quiet++
			if quiet >= 3 {
				return time.Since(began)
			}
		} else {
			quiet = 0
		}
		time.Sleep(time.Second)
	}
	return time.Since(began)
}

// activeUsers are the users whose tenant must exist: every customer whose newest delivered
// subscription event did not end it.
func (cp *controlPlaneRun) activeUsers(ctx context.Context) []string {
	var out []string
	for _, cu := range cp.customers {
		s, ok := cu.expected(cp.wasDelivered)
		if !ok || s.canceled {
			continue
		}
		if u, err := cp.st.GetUserByEmail(ctx, cu.email); err == nil {
			out = append(out, u.ID)
		} else {
			out = append(out, "(no user for "+cu.email+")")
		}
	}
	return out
}

// wasDelivered reports whether some postman got a 2xx for the event.
func (cp *controlPlaneRun) wasDelivered(id string) bool {
	for _, pm := range cp.postmen {
		if a := pm.answersOf(id); a.fresh+a.duplicate > 0 {
			return true
		}
	}
	return false
}

// fleet reads the simulators and the store.
func (cp *controlPlaneRun) fleet(ctx context.Context) (invariants.Fleet, error) {
	fly, err := cp.sb.Fly(ctx)
	if err != nil {
		return invariants.Fleet{}, err
	}
	or, err := cp.sb.OpenRouter(ctx)
	if err != nil {
		return invariants.Fleet{}, err
	}
	return invariants.ReadFleet(ctx, cp.st, fly, or)
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
