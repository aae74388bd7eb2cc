package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// RolloutOptions say how rollout_N is measured.
type RolloutOptions struct {
	// Tenants is N: how many paying customers' tenants the rollout reaches.
	Tenants int
	// MaxParallel is the rollout's max_parallel and the floor's number of tofu applies at
	// once; serve gets as many workers.
	MaxParallel int
	// Canary and BatchSize are the rollout's policy (the floor has neither).
	Canary, BatchSize int
	// Poll is how often the rollout's state is read while it runs: the resolution of its end.
	Poll time.Duration
	// Runs is how many rollouts, and as many floors, are timed (the figure is their median).
	Runs int
}

// Rollout is the rollout_N figure: an image rollout over N tenants through serve — POST
// /api/admin/rollouts with max_parallel, a canary and batches, timed until GET
// /api/admin/rollouts/{id} says completed — against the floor of the same N per-tenant
// workspaces (the runner's rendered main.tf.json and state, copied) moved to another new
// image with a direct `tofu apply`, MaxParallel at once, with the same provider binary and
// simulators, timed until the last apply returns. The N tenants are created through Stripe
// webhooks first (not timed). Rollouts and floors alternate (rollout first, then floor
// first, …), each to a fresh image, and both are checked on the Fly simulator: every
// tenant's machine runs the image it was moved to.
func Rollout(o RolloutOptions) Figure {
	return Figure{Name: "rollout", Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		return runRollout(ctx, env, o, emit)
	}}
}

// rolloutRun is one timed rollout: its wall time and, per tenant, the times its apply job and
// its rollout record give.
type rolloutRun struct {
	wall time.Duration
	cpu  time.Duration // serve's, with its tofu runs and providers
	own  time.Duration // serve's own: the queue, the rollout's steps, the store, the audit
	// queued: apply job created → started; applying: started → finished; gated: job
	// finished → the rollout counted the tenant done (the step that saw it, health gate
	// included).
	queued, applying, gated []float64
}

func runRollout(ctx context.Context, env *Env, o RolloutOptions, emit func(Result)) (err error) {
	if o.Tenants < 1 || o.MaxParallel < 1 || o.Runs < 1 || o.Poll <= 0 || o.BatchSize < 1 || o.Canary < 0 {
		return fmt.Errorf("rollout: tenants, max_parallel, batch size and runs must be at least 1, canary at least 0 and the poll interval positive (got %+v)", o)
	}
	r := &convergenceRun{env: env, o: ConvergenceOptions{Poll: o.Poll}, dir: filepath.Join(env.WorkDir, "rollout"),
		// One worker per apply at once, and one for the rollout's steps.
		serveEnv: map[string]string{"LAUNCHPAD_WORKERS": strconv.Itoa(o.MaxParallel + 1)}}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()
	providerEnv, err := r.start(ctx)
	if err != nil {
		return err
	}
	env.Log.Info("rollout: creating the tenants (not timed)", "tenants", o.Tenants, "workers", r.cp.serve.Workers)
	start := time.Now()
	users, err := provisionTenants(ctx, r, o.Tenants)
	if err != nil {
		return err
	}
	env.Log.Info("rollout: tenants created", "tenants", len(users), "took", time.Since(start).Round(time.Second))
	floor := &rolloutFloor{env: env, dataDir: r.cp.dataDir, dir: filepath.Join(r.dir, "floor"), providerEnv: providerEnv, parallel: o.MaxParallel}

	var runs []rolloutRun
	var floors []floorRun
	for i := range o.Runs {
		// side moves every tenant to a fresh image one way, then checks that they run it.
		side := func(way string, move func(image string) error) func() error {
			return func() error {
				image := fmt.Sprintf("registry.fly.io/hermes-agent:bench-%d-%s", i+1, way)
				if err := move(image); err != nil {
					return err
				}
				return r.onImage(ctx, users, image)
			}
		}
		viaRollout := side("rollout", func(image string) error {
			run, err := r.rolloutTo(ctx, o, image)
			runs = append(runs, run)
			return err
		})
		direct := side("direct", func(image string) error {
			run, err := floor.applyAll(ctx, users, image)
			floors = append(floors, run)
			return err
		})
		if err := inTurn(i, viaRollout, direct); err != nil {
			return err
		}
		env.Log.Info("rollout: timed", "run", i+1, "rollout_s", runs[i].wall.Seconds(), "direct_s", floors[i].wall.Seconds())
	}
	emit(rolloutResult(runs, floors, o))
	return nil
}

// provisionTenants subscribes n customers to starter through signed Stripe webhooks and
// waits until each one's tenant is created; it returns their user ids.
func provisionTenants(ctx context.Context, r *convergenceRun, n int) ([]string, error) {
	now := time.Now()
	for i := range n {
		c := newStripeCustomer(fmt.Sprintf("ro%04d", i), now)
		for _, ev := range []billingtest.Event{c.checkout(), c.subscription(billingtest.SubscriptionCreated, priceStarter)} {
			if _, err := r.cp.api.Deliver(ctx, ev, r.cp.webhookSecret); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n)*time.Minute)
	defer cancel()
	for {
		js, err := r.cp.jobs(ctx, url.Values{"kind": {"apply"}, "limit": {"500"}})
		if err != nil {
			return nil, err
		}
		created := map[string]bool{}
		for _, j := range js {
			switch j.Status {
			case "failed":
				return nil, fmt.Errorf("creating the tenant of %s: apply job %s failed: %s (serve's log: %s)", j.Key, j.ID, j.Error, r.cp.serve.Log)
			case "succeeded":
				created[j.Key] = true
			}
		}
		if len(created) >= n {
			return slices.Sorted(maps.Keys(created)), nil
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, fmt.Errorf("%d of %d tenants created: %w (serve's log: %s)", len(created), n, err, r.cp.serve.Log)
		}
	}
}

// rolloutView is a rollout as GET /api/admin/rollouts/{id} shows it.
type rolloutView struct {
	ID      string                    `json:"id"`
	State   string                    `json:"state"`
	Reason  string                    `json:"reason"`
	Total   int                       `json:"total"`
	Counts  launchpad.RolloutCounts   `json:"counts"`
	Tenants []launchpad.RolloutTenant `json:"tenants"`
}

// rolloutTo starts an image rollout to image and waits until it completes; anything else it
// comes to rest in (paused, aborted) is an error.
func (r *convergenceRun) rolloutTo(ctx context.Context, o RolloutOptions, image string) (rolloutRun, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(o.Tenants)*time.Minute)
	defer cancel()
	body, err := json.Marshal(map[string]any{
		"image": image, "canary": o.Canary, "batch_size": o.BatchSize, "max_parallel": o.MaxParallel, "max_failures": 0,
	})
	if err != nil {
		return rolloutRun{}, err
	}
	pid := strconv.Itoa(r.cp.serve.Pid())
	own0, children0, cpuErr := processTreeCPU(pid)
	start := time.Now()
	var started rolloutView
	if err := r.cp.api.Call(ctx, http.MethodPost, "/api/admin/rollouts", r.cp.api.AdminToken, map[string]string{"Content-Type": "application/json"}, body, &started); err != nil {
		return rolloutRun{}, fmt.Errorf("POST /api/admin/rollouts: %w", err)
	}
	var ro rolloutView
	for {
		if err := r.cp.api.Admin(ctx, "/api/admin/rollouts/"+started.ID, &ro); err != nil {
			return rolloutRun{}, err
		}
		if ro.State != launchpad.RolloutRunning {
			break
		}
		if err := sleepCtx(ctx, o.Poll); err != nil {
			return rolloutRun{}, fmt.Errorf("rollout %s to %s still running (%+v): %w (serve's log: %s)", ro.ID, image, ro.Counts, err, r.cp.serve.Log)
		}
	}
	run := rolloutRun{wall: time.Since(start)}
	if own1, children1, err := processTreeCPU(pid); err == nil && cpuErr == nil {
		run.cpu, run.own = own1-own0+children1-children0, own1-own0
	}
	if ro.State != launchpad.RolloutCompleted || ro.Counts.Succeeded != o.Tenants {
		return run, fmt.Errorf("rollout %s to %s came to rest %s with %+v, want completed over %d tenants: %s", ro.ID, image, ro.State, ro.Counts, o.Tenants, ro.Reason)
	}
	return run, r.rolloutPhases(ctx, &run, ro)
}

// rolloutPhases reads the apply job of each of the rollout's tenants and fills in run's
// per-tenant phases.
func (r *convergenceRun) rolloutPhases(ctx context.Context, run *rolloutRun, ro rolloutView) error {
	js, err := r.cp.jobs(ctx, url.Values{"kind": {"apply"}, "limit": {"500"}})
	if err != nil {
		return err
	}
	byID := map[string]adminJob{}
	for _, j := range js {
		byID[j.ID] = j
	}
	for _, t := range ro.Tenants {
		j, ok := byID[t.Job]
		if !ok || j.StartedAt == nil || j.FinishedAt == nil {
			return fmt.Errorf("rollout %s: the apply job %q of user %s is not among the newest 500 or lacks its times", ro.ID, t.Job, t.UserID)
		}
		run.queued = append(run.queued, j.StartedAt.Sub(j.CreatedAt).Seconds())
		run.applying = append(run.applying, j.FinishedAt.Sub(*j.StartedAt).Seconds())
		run.gated = append(run.gated, t.DoneAt.Sub(*j.FinishedAt).Seconds())
	}
	return nil
}

// onImage checks on the Fly simulator that every user's one live machine runs image.
func (r *convergenceRun) onImage(ctx context.Context, users []string, image string) error {
	fly, err := r.sandbox.Fly(ctx)
	if err != nil {
		return fmt.Errorf("reading the Fly simulator: %w", err)
	}
	images := map[string][]string{}
	for _, a := range fly.Apps {
		for _, m := range a.Machines {
			if m.State != "destroyed" {
				u := m.Metadata[machineUserMetadata]
				images[u] = append(images[u], m.Image)
			}
		}
	}
	var wrong bytes.Buffer
	for _, u := range users {
		if got := images[u]; len(got) != 1 || got[0] != image {
			fmt.Fprintf(&wrong, " %s runs %v;", u, got)
		}
	}
	if wrong.Len() > 0 {
		return fmt.Errorf("the Fly simulator shows tenants not on %s:%s", image, wrong.String())
	}
	return nil
}

// rolloutResult is rollout_N: the median rollout against the median floor, with where each
// tenant's time went.
func rolloutResult(runs []rolloutRun, floors []floorRun, o RolloutOptions) Result {
	var wall, fwall, cpu, own, fcpu, queued, applying, gated, fapply []float64
	for _, r := range runs {
		wall, cpu, own = append(wall, r.wall.Seconds()), append(cpu, r.cpu.Seconds()), append(own, r.own.Seconds())
		queued, applying, gated = append(queued, r.queued...), append(applying, r.applying...), append(gated, r.gated...)
	}
	for _, f := range floors {
		fwall, fcpu = append(fwall, f.wall.Seconds()), append(fcpu, f.cpu.Seconds())
		fapply = append(fapply, f.applies...)
	}
	res := Duration(fmt.Sprintf("rollout_%d", o.Tenants), Median(wall), "s", Median(fwall)).
		With("tenants", o.Tenants).
		With("max_parallel", o.MaxParallel).
		With("canary", o.Canary).
		With("batch_size", o.BatchSize).
		With("rollout_s", wall).
		With("direct_s", fwall).
		With("rollout_cpu_s_median", Median(cpu)).
		With("rollout_serve_own_cpu_s_median", Median(own)).
		With("direct_cpu_s_median", Median(fcpu)).
		With("tenant_apply_queued_s_median", Median(queued)).
		With("tenant_apply_job_s_median", Median(applying)).
		With("tenant_job_finished_to_done_s_median", Median(gated)).
		With("direct_tenant_apply_s_median", Median(fapply)).
		With("what", "POST /api/admin/rollouts of a new image to the rollout completed (every tenant applied and its machine started and passing its checks), against direct tofu apply of the same per-tenant workspaces to another new image, max_parallel at once, until the last returned")
	if f := Median(fcpu); f > 0 {
		res = res.With("cpu_ratio", Median(cpu)/f)
	}
	return res
}
