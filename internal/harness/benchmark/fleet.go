package benchmark

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// FleetOptions say which fleet_plan figures to measure.
type FleetOptions struct {
	// Sizes are the fleet sizes N (tenants, each with a sub-key), measured in ascending
	// order: the fleet grows from one size to the next, so it is created once.
	Sizes []int
	Shape FleetShape
	// SetupParallelism is the -parallelism of the applies that create the fleet (not timed).
	SetupParallelism int
	// Parallelism is the -parallelism of the timed plans; tofu's default is 10.
	Parallelism int
	// RateLimitedAt is the N at which the plans are timed again with Fly's rate limits on
	// in the sandbox (0: not measured).
	RateLimitedAt int
	// MoreParallelism and MoreParallelismAt: the plans are timed again with this
	// -parallelism at that N (0: not measured).
	MoreParallelism, MoreParallelismAt int
	// Latency and LatencyAt: the plans are timed again with this latency added to every
	// simulated API request, at that N (0: not measured).
	Latency   time.Duration
	LatencyAt int
	// BatchReadsOffToo: with the latency variant, also time the fleet with
	// openrouter.batch_reads off (one OpenRouter read per sub-key), to show what the listing
	// saves an operator that far from the API.
	BatchReadsOffToo bool
	// Env is added to the environment of every timed tofu run, fleet and floor alike (e.g.
	// OPENROUTER_BATCH_READS=false, GOGC=400), to measure a setting.
	Env map[string]string
}

// Fleet is the fleet_plan figure group: `tofu plan` (refresh included) of N tenants against
// the sandbox, each figure the median of Env.Runs plans, against the floor of the same plan
// of terraform_data resources timed in the same run, alternating with it.
func Fleet(o FleetOptions) Figure {
	return Figure{Name: "fleet", Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		return runFleet(ctx, env, o, emit)
	}}
}

type fleetRun struct {
	env     *Env
	o       FleetOptions
	sandbox *Sandbox
	sbOpts  SandboxOptions
	fleet   *Workspace
	floor   *Workspace
	fixed   map[string]string // the fleet's environment apart from the sandbox's
}

func runFleet(ctx context.Context, env *Env, o FleetOptions, emit func(Result)) (err error) {
	dir := filepath.Join(env.WorkDir, "fleet")
	cliConfig := filepath.Join(env.WorkDir, "tofurc")
	if err := WriteCLIConfig(cliConfig, filepath.Dir(env.Provider)); err != nil {
		return err
	}
	r := &fleetRun{env: env, o: o, sbOpts: SandboxOptions{
		StateFile:     filepath.Join(dir, "sandbox.json"),
		Token:         "bench-fly-" + randomHex(12),
		ManagementKey: "sk-or-v1-bench-" + randomHex(16),
	}}
	r.fixed = map[string]string{
		"TF_CLI_CONFIG_FILE": cliConfig,
		"LAUNCHPAD_STORE":    "sqlite://" + filepath.Join(dir, "launchpad.db"),
		"PLATFORM_SECRET":    "bench-platform-secret-" + randomHex(16),
		"FLY_ORG":            "bench",
	}
	floorEnv := map[string]string{"TF_CLI_CONFIG_FILE": cliConfig}
	for k, v := range o.Env {
		r.fixed[k], floorEnv[k] = v, v
	}
	if r.sandbox, err = StartSandbox(ctx, env.Provider, r.sbOpts); err != nil {
		return err
	}
	defer func() {
		if stopErr := r.sandbox.Stop(); err == nil {
			err = stopErr
		}
	}()
	if r.fleet, err = NewWorkspace(ctx, filepath.Join(dir, "tofu-fleet"), env.Tofu, fleetFiles(o.Shape), r.sandbox.environ(r.fixed)); err != nil {
		return err
	}
	if r.floor, err = NewWorkspace(ctx, filepath.Join(dir, "tofu-floor"), env.Tofu, floorFiles(o.Shape), baseEnviron(floorEnv)); err != nil {
		return err
	}

	for _, n := range o.Sizes {
		env.Log.Info("fleet: creating the fleet and its floor (not timed)", "n", n, "parallelism", o.SetupParallelism)
		start := time.Now()
		if err := r.fleet.Apply(ctx, n, o.SetupParallelism); err != nil {
			return err
		}
		if err := r.floor.Apply(ctx, n, o.SetupParallelism); err != nil {
			return err
		}
		env.Log.Info("fleet: created", "n", n, "took", time.Since(start).Round(time.Second))

		name := fmt.Sprintf("fleet_plan_%d", n)
		res, err := r.measure(ctx, name, n, o.Parallelism)
		if err != nil {
			return err
		}
		emit(res)
		if n == o.MoreParallelismAt && o.MoreParallelism > 0 {
			res, err := r.measure(ctx, fmt.Sprintf("%s_parallelism_%d", name, o.MoreParallelism), n, o.MoreParallelism)
			if err != nil {
				return err
			}
			emit(res)
		}
		if n == o.RateLimitedAt {
			if err := r.variant(ctx, func(so *SandboxOptions) { so.RateLimits, so.CountStatuses = true, true }, func() error {
				res, err := r.measure(ctx, name+"_rate_limited", n, o.Parallelism)
				if err != nil {
					return err
				}
				statuses := r.sandbox.Statuses()
				emit(res.With("answers_429", statuses["429"]).With("answers_by_status", statuses))
				return nil
			}); err != nil {
				return err
			}
		}
		if n == o.LatencyAt && o.Latency > 0 {
			if err := r.variant(ctx, func(so *SandboxOptions) { so.Latency = o.Latency }, func() error {
				latencyName := fmt.Sprintf("%s_latency_%s", name, o.Latency)
				res, err := r.measure(ctx, latencyName, n, o.Parallelism)
				if err != nil {
					return err
				}
				emit(res.With("added_latency_ms", o.Latency.Milliseconds()))
				if !o.BatchReadsOffToo {
					return nil
				}
				if err := r.fleet.SetEnv(r.sandbox.environ(with(r.fixed, "OPENROUTER_BATCH_READS", "false"))); err != nil {
					return err
				}
				res, err = r.measure(ctx, latencyName+"_batch_reads_off", n, o.Parallelism)
				if err != nil {
					return err
				}
				emit(res.With("added_latency_ms", o.Latency.Milliseconds()).With("openrouter_batch_reads", false))
				return r.fleet.SetEnv(r.sandbox.environ(r.fixed))
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// variant restarts the sandbox on the same state with different options, runs measure, and
// restarts it as it was.
func (r *fleetRun) variant(ctx context.Context, change func(*SandboxOptions), measure func() error) error {
	opts := r.sbOpts
	change(&opts)
	if err := r.restart(ctx, opts); err != nil {
		return err
	}
	err := measure()
	return errors.Join(err, r.restart(ctx, r.sbOpts))
}

func (r *fleetRun) restart(ctx context.Context, o SandboxOptions) error {
	if err := r.sandbox.Stop(); err != nil {
		return err
	}
	sb, err := StartSandbox(ctx, r.env.Provider, o)
	if err != nil {
		return err
	}
	r.sandbox = sb
	return r.fleet.SetEnv(sb.environ(r.fixed))
}

// measure times Env.Runs plans of the fleet and of the floor, alternating which goes first
// (fleet, floor, floor, fleet, …) so that a slow spell of the machine hits both alike.
func (r *fleetRun) measure(ctx context.Context, name string, n, parallelism int) (Result, error) {
	var fleetWall, floorWall, fleetCPU, floorCPU, flyReqs, orReqs []float64
	timeFleet := func() error {
		fly0, or0, err := r.sandbox.Requests(ctx)
		if err != nil {
			return err
		}
		run, err := r.fleet.Plan(ctx, n, parallelism)
		if err != nil {
			return err
		}
		fly1, or1, err := r.sandbox.Requests(ctx)
		if err != nil {
			return err
		}
		fleetWall, fleetCPU = append(fleetWall, run.Wall.Seconds()), append(fleetCPU, run.CPU.Seconds())
		flyReqs, orReqs = append(flyReqs, float64(fly1-fly0)), append(orReqs, float64(or1-or0))
		return nil
	}
	timeFloor := func() error {
		run, err := r.floor.Plan(ctx, n, parallelism)
		if err != nil {
			return err
		}
		floorWall, floorCPU = append(floorWall, run.Wall.Seconds()), append(floorCPU, run.CPU.Seconds())
		return nil
	}
	for i := range r.env.Runs {
		if err := inTurn(i, timeFleet, timeFloor); err != nil {
			return Result{}, err
		}
		r.env.Log.Info("fleet: timed", "figure", name, "run", i+1, "fleet_s", fleetWall[i], "floor_s", floorWall[i])
	}
	res := Duration(name, Median(fleetWall), "s", Median(floorWall)).
		With("tenants", n).
		With("resources", 2*n+1).
		With("parallelism", parallelism).
		With("shape", string(r.o.Shape)).
		With("env", r.o.Env).
		With("fleet_wall_s", fleetWall).
		With("floor_wall_s", floorWall).
		With("fleet_cpu_s", Median(fleetCPU)).
		With("floor_cpu_s", Median(floorCPU)).
		With("fly_requests_per_plan", Median(flyReqs)).
		With("openrouter_requests_per_plan", Median(orReqs))
	if f := Median(floorCPU); f > 0 {
		res = res.With("cpu_ratio", Median(fleetCPU)/f)
	}
	return res, nil
}

// with returns a copy of env with k set to v.
func with(env map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(env)+1)
	for key, val := range env {
		out[key] = val
	}
	out[k] = v
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
