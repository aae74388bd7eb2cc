// Command chaos is `make chaos`: Launchpad on a bad day, end to end, and the figures.
//
// It runs the built binary as an operator would — `sandbox` and `serve` as real processes on
// loopback, SQLite stores (or, with -store postgres, schemas on a PostgreSQL server it starts),
// OpenTofu — through three scenarios, then checks every promise and prints "N passed, N
// failed" per invariant:
//
//  1. faults: a fleet of -tenants tenants applied with one `tofu apply` while both
//     simulators answer 20% of requests 500, 5% 429 with Retry-After, drop 5% of answers
//     after applying the change, and add latency; then destroyed the same way. Afterwards
//     there is exactly one app, volume, machine, IP pair, key secret and sub-key per tenant,
//     none shared, no secret in the state or the logs, and after the destroy nothing at all.
//  2. crash: -deliveries signed Stripe webhook deliveries for -users customers (checkouts,
//     upgrades, downgrades, renewals, cancellations, duplicates, out-of-order deliveries),
//     while `serve` is killed with SIGKILL -kills times at random moments (seeded) and
//     started again each time, with a short LAUNCHPAD_JOB_LEASE so a dead worker's job is
//     reclaimed in seconds. When the queue has drained: every event recorded once and
//     processed, every tenant at the plan of its customer's newest event (nothing left of a
//     cancelled one), no job stuck, the audit chain verifying (`audit --verify`). With
//     -store postgres, two serve replicas share the store, each receives every delivery, and
//     the kills land on one of them while the other keeps running.
//  3. load: for -load, -clients clients (each from its own loopback address) signing in
//     with the codes serve's log mailer writes, reading /api/me and /api/audit, while
//     -senders webhook senders change their customers' plans and the apply workers run —
//     no 5xx, no lost event; p50/p99 per route and serve's peak RSS.
//
// Then, over everything: one of everything per tenant, isolation, and no secret (each
// plaintext key opened from the store during the run, the platform secret, the Fly token,
// the management key, the admin token, the webhook secret) in any Terraform state, log, job
// log, audit entry or API answer.
//
//	go run ./internal/harness/chaos -binary bin/terraform-provider-launchpad -tofu bin/tofu
//
// The seed is printed; -seed repeats a run's choices (which events, in which order, when the
// kills land). It exits 1 when an invariant fails or a scenario cannot run, 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

func main() { stack.Main(cli) }

// options are the flags.
type options struct {
	stack.Tools
	seed               int64
	scenarios          string
	store, postgresURL string

	tenants int

	users, deliveries, kills, workers int
	window, lease, latency, drain     time.Duration

	load             time.Duration
	clients, senders int

	timeout time.Duration
	keep    bool
}

// cli parses the flags and runs; it returns the exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	o.AddFlags(fs, "the customers buy")
	fs.Int64Var(&o.seed, "seed", 0, "seed of every random choice (default: from the clock; printed)")
	fs.StringVar(&o.scenarios, "scenarios", "faults,crash,load", "which scenarios to run, comma-separated")
	fs.StringVar(&o.store, "store", storeSQLite, "the control plane's store: sqlite, or postgres (two serve replicas share it in the crash and load scenarios)")
	fs.StringVar(&o.postgresURL, "postgres-url", "", "with -store postgres: a running server (a `URL` of a role that may create schemas) instead of one the run starts")
	fs.IntVar(&o.tenants, "tenants", 50, "faults: tenants in the fleet")
	fs.IntVar(&o.users, "users", 20, "crash: customers")
	fs.IntVar(&o.deliveries, "deliveries", 200, "crash: webhook deliveries (every customer's events, plus duplicates)")
	fs.IntVar(&o.kills, "kills", 3, "crash: times serve is killed with SIGKILL")
	fs.IntVar(&o.workers, "workers", 4, "LAUNCHPAD_WORKERS of serve")
	fs.DurationVar(&o.window, "window", 40*time.Second, "crash: the deliveries are spread over this long")
	fs.DurationVar(&o.lease, "lease", 10*time.Second, "LAUNCHPAD_JOB_LEASE of serve: how soon a killed serve's jobs are reclaimed")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "crash and load: latency the simulators add to each request (so kills land mid-apply)")
	fs.DurationVar(&o.drain, "drain", 5*time.Minute, "how long the queue may take to drain before jobs count as stuck")
	fs.DurationVar(&o.load, "load", 60*time.Second, "load: how long it holds")
	fs.IntVar(&o.clients, "clients", 200, "load: concurrent API clients")
	fs.IntVar(&o.senders, "senders", 16, "load: concurrent webhook senders")
	fs.DurationVar(&o.timeout, "timeout", 14*time.Minute, "give up after this long")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, stores, workspaces) after a run that passed")
	if code, stop := cliflag.ParseNoArgs(fs, args, ""); stop {
		return code
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return 2
	}
	if o.seed == 0 {
		o.seed = time.Now().UnixNano() % 1_000_000_007
	}
	failed, err := run(ctx, o, stdout)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "\nchaos FAILED: %v\n", err)
		return 1
	case failed > 0:
		fmt.Fprintf(stderr, "\nchaos FAILED: %d invariant(s) broken (seed %d)\n", failed, o.seed)
		return 1
	}
	return 0
}

func (o options) check() error {
	var bad []string
	for _, s := range strings.Split(o.scenarios, ",") {
		switch strings.TrimSpace(s) {
		case "faults", "crash", "load":
		default:
			bad = append(bad, fmt.Sprintf("-scenarios: %q is not faults, crash or load", s))
		}
	}
	if o.tenants < 1 || o.users < 1 || o.deliveries < 1 || o.kills < 0 || o.workers < 1 || o.clients < 0 || o.senders < 0 {
		bad = append(bad, "-tenants, -users, -deliveries and -workers must be at least 1; -kills, -clients and -senders at least 0")
	}
	if o.store != storeSQLite && o.store != storePostgres {
		bad = append(bad, fmt.Sprintf("-store: %q is not sqlite or postgres", o.store))
	}
	if o.postgresURL != "" && o.store != storePostgres {
		bad = append(bad, "-postgres-url goes with -store postgres")
	}
	if o.clients > 250 {
		bad = append(bad, "-clients: at most 250 (each has a loopback address of its own, 127.0.1.1-250)")
	}
	if o.window <= 0 || o.lease < 10*time.Second || o.drain <= 0 || o.load <= 0 || o.timeout <= 0 {
		bad = append(bad, "-window, -drain, -load and -timeout must be positive, -lease at least 10s (serve's minimum)")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}

func (o options) wants(scenario string) bool {
	for _, s := range strings.Split(o.scenarios, ",") {
		if strings.TrimSpace(s) == scenario {
			return true
		}
	}
	return false
}
