package benchmark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// ConvergenceOptions say how convergence is measured.
type ConvergenceOptions struct {
	// Upgrades is how many plan changes (starter↔pro, alternately) go through the control
	// plane, and as many through the floor's direct workspace, interleaved.
	Upgrades int
	// Poll is how often the simulators are read while a change is awaited: the resolution of
	// "applied".
	Poll time.Duration
}

// Convergence is the convergence figure group: the time from POST /api/stripe/webhook of a
// customer.subscription.updated to a new plan until the simulators show the tenant on it (its
// machine resized, its sub-key at the new limit), p50 and p95 over Upgrades changes, against
// the floor of the same change made with `tofu plan -out` + `apply` run directly in a copy of
// the runner's workspace of another tenant of the same kind, timed from the start of the plan
// to the same moment. Both are read on the simulators' /_sim/snapshot every Poll. The changes
// alternate between the two paths (control plane first, then floor first, …) so that a slow
// spell hits both. It also emits the time to the apply job's end (state saved), against the
// direct apply's return.
//
// It runs `sandbox` and `serve` of the built binary, as `make demo` does (internal/harness/stack),
// with the plans of examples/fleet applied first.
func Convergence(o ConvergenceOptions) Figure {
	return Figure{Name: "convergence", Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		return runConvergence(ctx, env, o, emit)
	}}
}

// convergenceRun is the state of one measurement.
type convergenceRun struct {
	env     *Env
	o       ConvergenceOptions
	dir     string
	sandbox *stack.Sandbox
	cp      *controlPlane
	plans   map[string]stack.Plan // by name: starter, pro
	// serveEnv is added to serve's settings (e.g. LAUNCHPAD_WORKERS).
	serveEnv map[string]string
}

// cpChange is one change through the control plane, with the times of its phases.
type cpChange struct {
	start   time.Time // the webhook was posted
	applied time.Time // the simulators showed the change
	event   adminJob  // the stripe_event job of the webhook's event
	apply   adminJob  // the apply job it enqueued
	// cpu is serve's CPU time over the change, with its tofu runs and their providers; zero
	// where /proc is missing.
	cpu time.Duration
}

func runConvergence(ctx context.Context, env *Env, o ConvergenceOptions, emit func(Result)) (err error) {
	if o.Upgrades < 1 || o.Poll <= 0 {
		return fmt.Errorf("convergence: upgrades must be at least 1 and the poll interval positive (got %d, %s)", o.Upgrades, o.Poll)
	}
	r := &convergenceRun{env: env, o: o, dir: filepath.Join(env.WorkDir, "convergence")}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()
	providerEnv, err := r.start(ctx)
	if err != nil {
		return err
	}

	// Two customers pay for starter: one is changed through the control plane, the other's
	// workspace becomes the floor's.
	viaCP, direct := newStripeCustomer("cp", time.Now()), newStripeCustomer("direct", time.Now())
	cpUser, lastApply, err := r.subscribe(ctx, viaCP, "")
	if err != nil {
		return err
	}
	directUser, _, err := r.subscribe(ctx, direct, cpUser)
	if err != nil {
		return err
	}
	tofuLog, err := os.Create(filepath.Join(r.dir, "direct-tofu.log"))
	if err != nil {
		return err
	}
	defer tofuLog.Close()
	ws, err := newDirectWorkspace(env, r.cp.dataDir, directUser, filepath.Join(r.dir, "direct"), providerEnv, tofuLog)
	if err != nil {
		return err
	}

	var viaRuns []cpChange
	var directRuns []directChange
	for i := range o.Upgrades {
		p := r.plans["pro"]
		if i%2 == 1 {
			p = r.plans["starter"]
		}
		timeCP := func() error {
			c, err := r.changeViaControlPlane(ctx, viaCP, cpUser, p, lastApply)
			if err != nil {
				return err
			}
			lastApply = c.apply.ID
			viaRuns = append(viaRuns, c)
			return nil
		}
		timeDirect := func() error {
			c, err := ws.change(ctx, r.sandbox, directUser, p, o.Poll)
			if err != nil {
				return err
			}
			directRuns = append(directRuns, c)
			return nil
		}
		if err := inTurn(i, timeCP, timeDirect); err != nil {
			return err
		}
		env.Log.Info("convergence: timed", "change", i+1, "plan", p.Name,
			"control_plane_s", viaRuns[i].applied.Sub(viaRuns[i].start).Seconds(),
			"direct_s", directRuns[i].applied.Sub(directRuns[i].start).Seconds())
	}
	for _, res := range convergenceResults(viaRuns, directRuns, o, r.cp.serve.Workers) {
		emit(res)
	}
	return nil
}

// start runs the sandbox, applies examples/fleet's plans with tofu, and starts serve; it
// returns the provider's settings (shared by serve's applies and the floor's).
func (r *convergenceRun) start(ctx context.Context) (map[string]string, error) {
	var err error
	if r.sandbox, err = stack.StartSandbox(ctx, r.env.Provider, r.dir, "sandbox", stack.BaseEnv()); err != nil {
		return nil, err
	}
	providerEnv := stack.BaseEnv()
	for _, k := range stack.SandboxVars {
		providerEnv[k] = r.sandbox.Env[k]
	}
	providerEnv["FLY_ORG"] = "bench"
	providerEnv["LAUNCHPAD_STORE"] = "sqlite://" + filepath.Join(r.dir, "launchpad.db")
	providerEnv["PLATFORM_SECRET"] = "bench-platform-secret-" + randomHex(16)

	logFile, err := os.Create(filepath.Join(r.dir, "plans-tofu.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	t := stack.Tofu{Tofu: r.env.Tofu, Binary: r.env.Provider, Dir: filepath.Join(r.dir, "plans"), Env: providerEnv, Log: logFile}
	byPrice, _, err := stack.ApplyPlans(ctx, t, filepath.Join(r.env.ModuleDir, "examples", "fleet"))
	if err != nil {
		return nil, err
	}
	r.plans = map[string]stack.Plan{}
	for name, price := range map[string]string{"starter": priceStarter, "pro": pricePro} {
		p, ok := byPrice[price]
		if !ok || p.Name != name {
			return nil, fmt.Errorf("examples/fleet has no launchpad_plan %s with stripe_price_id %s; convergence changes between those two", name, price)
		}
		r.plans[name] = p
	}
	if s, p := r.plans["starter"], r.plans["pro"]; s.CPUs == p.CPUs && s.Memory == p.Memory || s.LimitUSD == p.LimitUSD {
		return nil, fmt.Errorf("examples/fleet's starter and pro plans have the same machine size or key limit, so a change between them cannot be seen on the simulators")
	}
	// Metering is off in this process: it is not on the path of a plan change, and its
	// periodic reads of every machine would only add noise to one side or the other.
	r.cp, err = startControlPlane(ctx, r.env, r.dir, providerEnv, with(r.serveEnv, "LAUNCHPAD_METER_INTERVAL", "off"))
	if err != nil {
		return nil, err
	}
	return providerEnv, nil
}

func (r *convergenceRun) stop() error {
	var errs []error
	if r.cp != nil {
		errs = append(errs, r.cp.stop())
	}
	if r.sandbox != nil {
		errs = append(errs, r.sandbox.Stop(10*time.Second))
	}
	return errors.Join(errs...)
}

// subscribe delivers c's checkout and subscription to starter, waits for the tenant's
// creation to succeed and returns the user id the control plane gave the customer (the key of
// the apply job that is not other's) and the id of that job.
func (r *convergenceRun) subscribe(ctx context.Context, c *stripeCustomer, other string) (userID, jobID string, err error) {
	for _, ev := range []billingtest.Event{c.checkout(), c.subscription(billingtest.SubscriptionCreated, priceStarter)} {
		if _, err := r.cp.api.Deliver(ctx, ev, r.cp.webhookSecret); err != nil {
			return "", "", err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		js, err := r.cp.jobs(ctx, url.Values{"kind": {"apply"}})
		if err != nil {
			return "", "", err
		}
		for _, j := range js {
			switch {
			case j.Key == other || j.Status == "superseded":
			case j.Status == "failed":
				return "", "", fmt.Errorf("creating the tenant of %s: apply job %s failed: %s (serve's log: %s)", c.email, j.ID, j.Error, r.cp.serve.Log)
			case j.Status == "succeeded":
				return j.Key, j.ID, nil
			}
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return "", "", fmt.Errorf("the tenant of %s was not created: %w (serve's log: %s)", c.email, err, r.cp.serve.Log)
		}
	}
}

// changeViaControlPlane posts c's subscription change to p, waits until the simulators show
// it, then until its apply job is over, and reads the jobs' times.
func (r *convergenceRun) changeViaControlPlane(ctx context.Context, c *stripeCustomer, userID string, p stack.Plan, lastApply string) (cpChange, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	ev := c.subscription(billingtest.SubscriptionUpdated, p.Price)
	var out cpChange
	pid := strconv.Itoa(r.cp.serve.Pid())
	own0, children0, cpuErr := processTreeCPU(pid)
	out.start = time.Now()
	if dup, err := r.cp.api.Deliver(ctx, ev, r.cp.webhookSecret); err != nil || dup {
		return out, fmt.Errorf("delivering %s: duplicate %v, %w", ev.ID, dup, err)
	}
	var err error
	if out.applied, err = awaitApplied(ctx, r.sandbox, userID, p, r.o.Poll); err != nil {
		return out, fmt.Errorf("%w (serve's log: %s)", err, r.cp.serve.Log)
	}
	for {
		js, err := r.cp.jobs(ctx, url.Values{"kind": {"apply"}, "user_id": {userID}, "limit": {"1"}})
		if err != nil {
			return out, err
		}
		if len(js) == 1 && js[0].ID != lastApply && js[0].over() {
			out.apply = js[0]
			break
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return out, fmt.Errorf("the apply job of %s never finished: %w", ev.ID, err)
		}
	}
	if own1, children1, err := processTreeCPU(pid); err == nil && cpuErr == nil {
		out.cpu = own1 - own0 + children1 - children0
	}
	if out.apply.Status != "succeeded" || out.apply.Apply == nil || out.apply.Apply.Plan != p.Name {
		return out, fmt.Errorf("the apply job %s of %s is %s for %+v: %s", out.apply.ID, ev.ID, out.apply.Status, out.apply.Apply, out.apply.Error)
	}
	events, err := r.cp.jobs(ctx, url.Values{"kind": {"stripe_event"}, "limit": {"20"}})
	if err != nil {
		return out, err
	}
	for _, j := range events {
		var payload struct {
			EventID string `json:"event_id"`
		}
		if json.Unmarshal(j.Payload, &payload) == nil && payload.EventID == ev.ID {
			out.event = j
		}
	}
	switch {
	case out.event.ID == "":
		return out, fmt.Errorf("no stripe_event job for %s among the newest 20", ev.ID)
	case out.event.StartedAt == nil || out.apply.StartedAt == nil || out.apply.FinishedAt == nil:
		return out, fmt.Errorf("the jobs of %s lack their start or finish times: event job %+v, apply job %+v", ev.ID, out.event, out.apply)
	}
	return out, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// convergenceResults makes the figures of the measured changes: p50 and p95 to the change
// applied, p50 to the end, and the phases of the control plane's path as details.
func convergenceResults(via []cpChange, direct []directChange, o ConvergenceOptions, workers int) []Result {
	var cpApplied, cpDone, dApplied, dReturned, dPlan, cpCPU, dCPU []float64
	phases := map[string][]float64{}
	phase := func(name string, from, to time.Time) {
		phases[name] = append(phases[name], to.Sub(from).Seconds())
	}
	for _, c := range via {
		cpApplied = append(cpApplied, c.applied.Sub(c.start).Seconds())
		cpDone = append(cpDone, c.apply.FinishedAt.Sub(c.start).Seconds())
		cpCPU = append(cpCPU, c.cpu.Seconds())
		phase("1_webhook_to_event_recorded", c.start, c.event.CreatedAt)
		phase("2_event_queued", c.event.CreatedAt, *c.event.StartedAt)
		phase("3_event_processed_to_apply_enqueued", *c.event.StartedAt, c.apply.CreatedAt)
		phase("4_apply_queued", c.apply.CreatedAt, *c.apply.StartedAt)
		phase("5_apply_started_to_applied", *c.apply.StartedAt, c.applied)
		phase("6_applied_to_job_finished", c.applied, *c.apply.FinishedAt)
	}
	for _, d := range direct {
		dApplied = append(dApplied, d.applied.Sub(d.start).Seconds())
		dReturned = append(dReturned, d.returned.Sub(d.start).Seconds())
		dPlan = append(dPlan, d.planned.Sub(d.start).Seconds())
		dCPU = append(dCPU, d.cpu.Seconds())
	}
	medians := map[string]float64{}
	names := make([]string, 0, len(phases))
	for name, xs := range phases {
		medians[name+"_ms"] = 1000 * Median(xs)
		names = append(names, name)
	}
	slices.Sort(names)
	common := func(r Result) Result {
		return r.With("changes", len(via)).With("poll_ms", o.Poll.Milliseconds()).With("workers", workers).
			With("applied", "the Fly simulator's machine has the new plan's size and the OpenRouter simulator's key its limit (GET /_sim/snapshot every poll_ms)")
	}
	p50 := Duration("convergence_p50", Percentile(cpApplied, 50), "s", Percentile(dApplied, 50))
	p50 = common(p50).
		With("control_plane_s", cpApplied).
		With("direct_s", dApplied).
		With("direct_plan_s_median", Median(dPlan)).
		With("control_plane_cpu_s_median", Median(cpCPU)).
		With("direct_cpu_s_median", Median(dCPU)).
		With("control_plane_phases_median_ms", medians).
		With("phase_order", names)
	if f := Median(dCPU); f > 0 {
		p50 = p50.With("cpu_ratio", Median(cpCPU)/f)
	}
	p95 := common(Duration("convergence_p95", Percentile(cpApplied, 95), "s", Percentile(dApplied, 95)))
	done := common(Duration("convergence_done_p50", Percentile(cpDone, 50), "s", Percentile(dReturned, 50))).
		With("control_plane_s", cpDone).
		With("direct_s", dReturned).
		With("what", "to the apply job finished (state saved, outcome recorded), against tofu apply returning")
	return []Result{p50, p95, done}
}
