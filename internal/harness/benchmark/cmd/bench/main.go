// Command bench measures Launchpad's figures against their floors and prints one line per
// figure,
//
//	BENCH <name> <value> <unit> [floor=<value>] [ratio=<value>]
//
// and writes them all, with the measurements behind each, to a JSON file. `make bench` runs
// it from the repository root:
//
//	go run ./internal/harness/benchmark/cmd/bench -tofu bin/tofu -out bench/results.json
//
// It builds the provider binary once and drives the real tofu against it through
// dev_overrides, with the simulators of `terraform-provider-launchpad sandbox` in a process of
// their own, as an operator would. Progress goes to stderr; BENCH lines to stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/benchmark"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

func main() { stack.Main(run) }

type config struct {
	tofu, out, moduleDir, workDir string
	figures                       []string
	sizes                         []int
	runs                          int
	shape                         string
	setupParallelism              int
	rateLimitedAt                 int
	moreParallelism, moreParAt    int
	latency                       time.Duration
	latencyAt                     int
	envelopePasses                int
	envelopeBenchtime             string
	rotationIterations            string
	keep                          bool
	env                           map[string]string
	webhook                       benchmark.WebhookOptions
	convergence                   benchmark.ConvergenceOptions
	rollout                       benchmark.RolloutOptions
	claim                         benchmark.ClaimOptions
	stores                        []string
	postgresURL                   string
	postgresSettings              map[string]string
}

var allFigures = []string{"fleet", "envelope", "rotation", "webhook", "claim", "convergence", "rollout"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code := parseFlags(args, stderr)
	if cfg == nil {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	workDir, err := os.MkdirTemp(cfg.workDir, "launchpad-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if cfg.keep {
		log.Info("keeping the scratch directory", "dir", workDir)
	} else {
		defer os.RemoveAll(workDir)
	}

	report := &benchmark.Report{Started: time.Now().UTC(), Machine: benchmark.ThisMachine()}
	report.Machine.TofuVersion = tofuVersion(ctx, cfg.tofu, workDir)
	log.Info("building the provider binary", "module", cfg.moduleDir)
	provider, err := benchmark.BuildProvider(ctx, cfg.moduleDir, workDir)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	stores := &benchmark.Stores{Dir: filepath.Join(workDir, "stores"), Log: log, PostgresURL: cfg.postgresURL, PostgresSettings: cfg.postgresSettings}
	defer func() {
		if err := stores.Close(); err != nil {
			log.Error("stopping the stores' servers", "err", err)
		}
	}()
	if err := os.MkdirAll(stores.Dir, 0o700); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	env := &benchmark.Env{ModuleDir: cfg.moduleDir, Tofu: cfg.tofu, Provider: provider, WorkDir: workDir, Runs: cfg.runs, Log: log, Stores: stores}

	for _, fig := range figures(cfg) {
		if ctx.Err() != nil {
			break
		}
		log.Info("measuring", "figures", fig.Name)
		start := time.Now()
		err := fig.Run(ctx, env, func(r benchmark.Result) {
			fmt.Fprintln(stdout, r.Line())
			report.Results = append(report.Results, r)
		})
		if err != nil {
			log.Error("figures failed", "figures", fig.Name, "err", err)
			report.Failures = append(report.Failures, fig.Name+": "+err.Error())
		}
		log.Info("measured", "figures", fig.Name, "took", time.Since(start).Round(time.Second))
	}
	report.Finished = time.Now().UTC()
	if err := report.WriteJSON(cfg.out); err != nil {
		fmt.Fprintf(stderr, "bench: writing %s: %v\n", cfg.out, err)
		return 1
	}
	log.Info("results written", "file", cfg.out, "took", report.Finished.Sub(report.Started).Round(time.Second))
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; the figures measured so far are in", cfg.out)
		return 1
	}
	if len(report.Failures) > 0 {
		fmt.Fprintf(stderr, "bench: %d figure group(s) failed:\n  %s\n", len(report.Failures), strings.Join(report.Failures, "\n  "))
		return 1
	}
	return 0
}

// tofuVersion asks tofu for its version with a CLI configuration of its own (an environment
// may name one that does not exist, which makes tofu print a warning first); "" if it cannot.
func tofuVersion(ctx context.Context, tofu, workDir string) string {
	rc := filepath.Join(workDir, "version.tofurc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		return ""
	}
	cmd := exec.CommandContext(ctx, tofu, "version", "-json")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if json.Unmarshal(out, &v) != nil {
		return ""
	}
	return v.Version
}

func figures(cfg *config) []benchmark.Figure {
	var out []benchmark.Figure
	for _, name := range cfg.figures {
		switch name {
		case "fleet":
			out = append(out, benchmark.Fleet(benchmark.FleetOptions{
				Sizes:             cfg.sizes,
				Shape:             benchmark.FleetShape(cfg.shape),
				SetupParallelism:  cfg.setupParallelism,
				Parallelism:       10,
				RateLimitedAt:     cfg.rateLimitedAt,
				MoreParallelism:   cfg.moreParallelism,
				MoreParallelismAt: cfg.moreParAt,
				Latency:           cfg.latency,
				LatencyAt:         cfg.latencyAt,
				BatchReadsOffToo:  true,
				Env:               cfg.env,
			}))
		case "envelope":
			out = append(out, benchmark.Envelope(cfg.envelopePasses, cfg.envelopeBenchtime))
		case "rotation":
			out = append(out, benchmark.Rotation(cfg.rotationIterations))
		case "webhook":
			for _, st := range cfg.stores {
				o := cfg.webhook
				o.Store = st
				out = append(out, benchmark.WebhookIngest(o))
			}
		case "claim":
			for _, st := range cfg.stores {
				o := cfg.claim
				o.Store = st
				out = append(out, benchmark.JobClaim(o))
			}
		case "convergence":
			out = append(out, benchmark.Convergence(cfg.convergence))
		case "rollout":
			out = append(out, benchmark.Rollout(cfg.rollout))
		}
	}
	return out
}

// parseFlags returns the config, or nil and the exit code (0 for -h, 2 for bad flags).
func parseFlags(args []string, stderr io.Writer) (*config, int) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	var figureList, sizeList, storeList string
	fs.StringVar(&cfg.tofu, "tofu", "bin/tofu", "`path` of the tofu binary (make tools builds it)")
	fs.StringVar(&cfg.out, "out", "bench/results.json", "JSON `file` the figures are written to")
	fs.StringVar(&cfg.moduleDir, "module", ".", "`directory` of the repository (where go.mod is)")
	fs.StringVar(&cfg.workDir, "workdir", "", "`directory` for the scratch directory (default: the system's temporary directory)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the scratch directory (workspaces, sandbox state, store) for a look afterwards")
	fs.StringVar(&figureList, "figures", strings.Join(allFigures, ","), "comma-separated `groups` to measure: "+strings.Join(allFigures, ", "))
	fs.StringVar(&sizeList, "sizes", "100,500,1000", "comma-separated fleet `sizes` N (tenants)")
	fs.IntVar(&cfg.runs, "runs", 3, "timed `runs` per fleet figure (the figure is their median)")
	fs.StringVar(&cfg.shape, "shape", string(benchmark.FleetShapeModule), "fleet configuration `shape`: module (a tenant module per user) or flat (counted resources referencing each other)")
	fs.IntVar(&cfg.setupParallelism, "setup-parallelism", 40, "-parallelism `n` of the (untimed) applies that create the fleet")
	fs.IntVar(&cfg.rateLimitedAt, "rate-limited-at", 100, "also time the fleet of this `size` with Fly's rate limits on (0: no)")
	fs.IntVar(&cfg.moreParallelism, "more-parallelism", 30, "also time plans with this tofu -parallelism `n` (0: no)")
	fs.IntVar(&cfg.moreParAt, "more-parallelism-at", 1000, "fleet `size` at which -more-parallelism is timed")
	fs.DurationVar(&cfg.latency, "latency", 50*time.Millisecond, "also time plans with this `latency` added to every simulated API request, as an operator that far from Fly and OpenRouter sees them (0: no)")
	fs.IntVar(&cfg.latencyAt, "latency-at", 100, "fleet `size` at which -latency is timed")
	cfg.env = map[string]string{}
	fs.Func("env", "`KEY=VALUE` added to the environment of every timed tofu run, fleet and floor (repeatable), e.g. -env OPENROUTER_BATCH_READS=false", pairInto(cfg.env, "KEY=VALUE"))
	fs.IntVar(&cfg.envelopePasses, "envelope-passes", 5, "`passes` over the envelope benchmarks (each figure is their median)")
	fs.StringVar(&cfg.envelopeBenchtime, "envelope-benchtime", "500ms", "-benchtime of each envelope benchmark `run`")
	fs.StringVar(&cfg.rotationIterations, "rotation-iterations", "3x", "-benchtime of BenchmarkRotate10k (`Nx`: N alternating rotations and floors)")
	fs.IntVar(&cfg.webhook.Events, "webhook-events", 5000, "signed Stripe `events` per timed webhook_ingest run (each with an id of its own)")
	fs.IntVar(&cfg.webhook.Senders, "webhook-senders", 16, "concurrent webhook `senders` on loopback")
	fs.IntVar(&cfg.webhook.Runs, "webhook-runs", 3, "timed webhook_ingest `runs`, alternating with the floor (each figure is their median)")
	fs.IntVar(&cfg.webhook.Warmup, "webhook-warmup", 500, "untimed `events` sent to serve and to the floor first")
	fs.StringVar(&storeList, "stores", benchmark.StoreSQLite, "comma-separated `stores` the webhook and claim figures run on, one after the other in this run: "+strings.Join(benchmark.AllStores, ", ")+
		" (postgres: a server started with initdb, PostgreSQL's durable defaults; postgres_async: the same with synchronous_commit=off in the connection string; firestore: the emulator, or FIRESTORE_EMULATOR_HOST's)")
	fs.StringVar(&cfg.postgresURL, "postgres-url", "", "a running PostgreSQL server (a `URL` of a role that may create schemas) for -stores postgres, instead of one the run starts")
	cfg.postgresSettings = map[string]string{}
	fs.Func("postgres-setting", "`name=value` of the server the run starts (repeatable), e.g. -postgres-setting synchronous_commit=off", pairInto(cfg.postgresSettings, "name=value"))
	fs.IntVar(&cfg.claim.Jobs, "claim-jobs", 1000, "`jobs` each timed job_claim run claims and finishes")
	fs.IntVar(&cfg.claim.Replicas, "claim-replicas", 2, "store handles (as separate control-plane `replicas`) claiming at once")
	fs.IntVar(&cfg.claim.Workers, "claim-workers", 4, "claiming `workers` per replica")
	fs.IntVar(&cfg.claim.Runs, "claim-runs", 3, "timed job_claim `runs` (the figure is their median)")
	fs.IntVar(&cfg.convergence.Upgrades, "convergence-upgrades", 20, "plan `changes` (starter<->pro) timed through the control plane, and as many direct applies")
	fs.DurationVar(&cfg.convergence.Poll, "convergence-poll", 20*time.Millisecond, "`interval` at which the simulators are read while a plan change is awaited (the resolution of convergence)")
	fs.IntVar(&cfg.rollout.Tenants, "rollout-tenants", 100, "`tenants` the timed image rollout reaches (the figure is rollout_N), and as many direct applies")
	fs.IntVar(&cfg.rollout.MaxParallel, "rollout-max-parallel", 4, "the rollout's max_parallel and the floor's direct applies at `n` at once")
	fs.IntVar(&cfg.rollout.Canary, "rollout-canary", 1, "the rollout's canary `tenants`")
	fs.IntVar(&cfg.rollout.BatchSize, "rollout-batch-size", 20, "the rollout's batch_size `tenants` (the product's default is 10; a multiple of -rollout-max-parallel, so that every round of a wave fills all its apply slots)")
	fs.IntVar(&cfg.rollout.Runs, "rollout-runs", 1, "timed rollouts, alternating with as many floors (the figure is their median)")
	fs.DurationVar(&cfg.rollout.Poll, "rollout-poll", 100*time.Millisecond, "`interval` at which the rollout's state is read while it runs")
	if code, stop := cliflag.Parse(fs, args, "Usage: go run ./internal/harness/benchmark/cmd/bench [flags]\n"+
		"\nMeasures Launchpad's figures against their floors; prints BENCH lines and writes JSON.\n"+
		"\nFlags:"); stop {
		return nil, code
	}
	bad := func(format string, a ...any) (*config, int) {
		fmt.Fprintf(stderr, "bench: "+format+"\nRun with -h for the flags.\n", a...)
		return nil, 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q: bench takes only flags", fs.Arg(0))
	}
	for _, f := range strings.Split(figureList, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(allFigures, f) {
			return bad("-figures: unknown group %q; the groups are %s", f, strings.Join(allFigures, ", "))
		}
		cfg.figures = append(cfg.figures, f)
	}
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return bad("-sizes: %q is not a positive whole number (e.g. -sizes 100,500,1000)", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if !slices.IsSorted(cfg.sizes) {
		return bad("-sizes must be ascending (the fleet grows from one size to the next): %s", sizeList)
	}
	if cfg.runs < 1 || cfg.envelopePasses < 1 {
		return bad("-runs and -envelope-passes must be at least 1")
	}
	if cfg.webhook.Events < 1 || cfg.webhook.Senders < 1 || cfg.webhook.Runs < 1 || cfg.webhook.Warmup < 0 {
		return bad("-webhook-events, -webhook-senders and -webhook-runs must be at least 1, -webhook-warmup at least 0")
	}
	for _, st := range strings.Split(storeList, ",") {
		st = strings.TrimSpace(st)
		if !slices.Contains(benchmark.AllStores, st) {
			return bad("-stores: unknown store %q; the stores are %s", st, strings.Join(benchmark.AllStores, ", "))
		}
		cfg.stores = append(cfg.stores, st)
	}
	if cfg.claim.Jobs < 1 || cfg.claim.Replicas < 1 || cfg.claim.Workers < 1 || cfg.claim.Runs < 1 {
		return bad("-claim-jobs, -claim-replicas, -claim-workers and -claim-runs must be at least 1")
	}
	if cfg.convergence.Upgrades < 1 || cfg.convergence.Poll <= 0 {
		return bad("-convergence-upgrades must be at least 1 and -convergence-poll positive (e.g. 20ms)")
	}
	if r := cfg.rollout; r.Tenants < 1 || r.MaxParallel < 1 || r.Canary < 0 || r.BatchSize < 1 || r.Runs < 1 || r.Poll <= 0 {
		return bad("-rollout-tenants, -rollout-max-parallel, -rollout-batch-size and -rollout-runs must be at least 1, -rollout-canary at least 0 and -rollout-poll positive (e.g. 100ms)")
	}
	if cfg.shape != string(benchmark.FleetShapeModule) && cfg.shape != string(benchmark.FleetShapeFlat) {
		return bad("-shape %q: use module or flat", cfg.shape)
	}
	var err error
	if cfg.tofu, err = filepath.Abs(cfg.tofu); err != nil {
		return bad("-tofu: %v", err)
	}
	if _, err := os.Stat(cfg.tofu); err != nil {
		return bad("-tofu %s: %v (run make tools to build it)", cfg.tofu, err)
	}
	if cfg.moduleDir, err = filepath.Abs(cfg.moduleDir); err != nil {
		return bad("-module: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.moduleDir, "go.mod")); err != nil {
		return bad("-module %s is not the repository root (no go.mod): %v", cfg.moduleDir, err)
	}
	return cfg, 0
}

// pairInto parses one value of a repeatable `name=value` flag into m; form is how the flag's
// help spells a pair, for the error.
func pairInto(m map[string]string, form string) func(string) error {
	return func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not %s", s, form)
		}
		m[k] = v
		return nil
	}
}
