package sim

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
)

// sandboxState is the sandbox's state file: both simulators in one JSON document.
type sandboxState struct {
	Fly        json.RawMessage `json:"fly,omitempty"`
	OpenRouter json.RawMessage `json:"openrouter,omitempty"`
}

// sandboxConfig is what the sandbox flags say.
type sandboxConfig struct {
	flyAddr, orAddr string
	faults          Faults
	stateFile       string
	flyToken        string
	mgmtKey         string
	rateLimits      bool
	clock           string
	clockStart      time.Time
	keyLimitStatus  int
	logLevel        slog.Level
}

// credentialPattern keeps tokens printable as VAR=value lines that a shell can eval
// without quoting.
var credentialPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/+=-]{8,256}$`)

// RunSandbox implements `terraform-provider-launchpad sandbox`: it starts the Fly Machines
// API and OpenRouter keys API simulators on loopback, prints, once both listen,
//
//	FLY_FLAPS_BASE_URL=http://127.0.0.1:PORT
//	OPENROUTER_API_URL=http://127.0.0.1:PORT/api/v1
//	FLY_API_TOKEN=…
//	OPENROUTER_MANAGEMENT_KEY=…
//
// to stdout (ready for eval/export), logs to stderr, and serves until ctx is cancelled
// (SIGINT/SIGTERM in main), then saves state if --state-file was given. Bad flags: a
// message on stderr and exit code 2; a listener or state-file failure: exit code 1.
func RunSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code := parseSandboxFlags(args, stderr)
	if cfg == nil {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	var clock Clock = realClock{}
	if cfg.clock == "manual" {
		start := cfg.clockStart
		if start.IsZero() {
			start = time.Now().UTC().Truncate(time.Second)
		}
		clock = NewManualClock(start)
	}
	fly, err := OpenFly(FlyOptions{Token: cfg.flyToken, Clock: clock, Faults: cfg.faults, RateLimits: cfg.rateLimits, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	or, err := OpenOpenRouter(OpenRouterOptions{ManagementKey: cfg.mgmtKey, Clock: clock, Faults: cfg.faults, KeyLimitStatus: cfg.keyLimitStatus, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	save := func() error { return nil }
	if cfg.stateFile != "" {
		if err := loadSandboxState(cfg.stateFile, fly, or); err != nil {
			fmt.Fprintf(stderr, "sandbox: %v\n", err)
			return 1
		}
		var mu sync.Mutex // /_sim/save on either server and the final save may overlap
		save = func() error {
			mu.Lock()
			defer mu.Unlock()
			return saveSandboxState(cfg.stateFile, fly, or)
		}
		fly.persist, or.persist = save, save
	}

	flyLn, err := net.Listen("tcp", cfg.flyAddr)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: listen for the Fly simulator on %s: %v\n", cfg.flyAddr, err)
		return 1
	}
	orLn, err := net.Listen("tcp", cfg.orAddr)
	if err != nil {
		flyLn.Close()
		fmt.Fprintf(stderr, "sandbox: listen for the OpenRouter simulator on %s: %v\n", cfg.orAddr, err)
		return 1
	}
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	servers := []*http.Server{
		{Handler: fly, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog},
		{Handler: or, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog},
	}
	failed := make(chan error, 2)
	for i, ln := range []net.Listener{flyLn, orLn} {
		go func() {
			if err := servers[i].Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		}()
	}

	flyURL, orURL := "http://"+loopbackHostPort(flyLn.Addr()), "http://"+loopbackHostPort(orLn.Addr())
	fmt.Fprintf(stdout, "FLY_FLAPS_BASE_URL=%s\n", flyURL)
	fmt.Fprintf(stdout, "OPENROUTER_API_URL=%s%s\n", orURL, OpenRouterBasePath)
	fmt.Fprintf(stdout, "FLY_API_TOKEN=%s\n", fly.Token())
	fmt.Fprintf(stdout, "OPENROUTER_MANAGEMENT_KEY=%s\n", or.ManagementKey())
	log.Info("sandbox ready", "fly", flyURL, "openrouter", orURL+OpenRouterBasePath, "test_api", "/_sim/ on each (GET /_sim/info)",
		"clock", cfg.clock, "rate_limits", cfg.rateLimits, "faults", cfg.faults, "state_file", cfg.stateFile)

	code = 0
	select {
	case <-ctx.Done():
		log.Info("sandbox stopping")
	case err := <-failed:
		log.Error("sandbox server failed", "err", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			_ = s.Close() // a long /wait still open: cut it
		}
	}
	if cfg.stateFile != "" {
		if err := save(); err != nil {
			log.Error("sandbox could not save its state", "file", cfg.stateFile, "err", err)
			return 1
		}
		log.Info("sandbox state saved", "file", cfg.stateFile)
	}
	return code
}

// parseSandboxFlags returns the config, or nil and the exit code (0 for -h, 2 for bad flags).
func parseSandboxFlags(args []string, stderr io.Writer) (*sandboxConfig, int) {
	fs := flag.NewFlagSet("terraform-provider-launchpad sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &sandboxConfig{}
	var clockStart, logLevel string
	fs.StringVar(&cfg.flyAddr, "fly-addr", "127.0.0.1:0", "`address` the Fly Machines API simulator listens on")
	fs.StringVar(&cfg.orAddr, "openrouter-addr", "127.0.0.1:0", "`address` the OpenRouter keys API simulator listens on")
	fs.Float64Var(&cfg.faults.ErrorRate, "fault-rate", 0, "`fraction` of API requests answered 5xx")
	fs.IntVar(&cfg.faults.ErrorStatus, "error-status", 500, "HTTP `status` of injected errors (5xx)")
	fs.Float64Var(&cfg.faults.RateLimitRate, "rate-limit-rate", 0, "`fraction` of API requests answered 429 with Retry-After")
	fs.DurationVar(&cfg.faults.RetryAfter, "retry-after", time.Second, "Retry-After of injected 429s (rounded up to seconds)")
	fs.Float64Var(&cfg.faults.DropRate, "drop-rate", 0, "`fraction` of API requests applied but whose response is dropped")
	fs.DurationVar(&cfg.faults.Latency, "latency", 0, "latency added to every API request")
	fs.Int64Var(&cfg.faults.Seed, "seed", 1, "seed of the deterministic fault sequence")
	fs.StringVar(&cfg.stateFile, "state-file", "", "JSON `file` to load at start and save on exit (both simulators)")
	fs.StringVar(&cfg.flyToken, "token", "", "Fly API `token` to accept (default: random)")
	fs.StringVar(&cfg.mgmtKey, "management-key", "", "OpenRouter management `key` to accept (default: random sk-or-v1-…)")
	fs.BoolVar(&cfg.rateLimits, "rate-limits", false, "enforce Fly's per-machine rate limits (1 req/s per action, burst 3; Get Machine 5/s, burst 10)")
	fs.StringVar(&cfg.clock, "clock", "wall", "`wall` or manual; a manual clock moves only through POST /_sim/clock")
	fs.StringVar(&clockStart, "clock-start", "", "RFC 3339 `time` a manual clock starts at (default: now)")
	fs.IntVar(&cfg.keyLimitStatus, "key-limit-status", http.StatusPaymentRequired, "`status` of completions on an exhausted key: 402 (documented) or 403 (seen from the live gateway)")
	fs.StringVar(&logLevel, "log-level", "info", "`level` of the log on stderr: debug (every request), info, warn or error")
	if code, stop := cliflag.Parse(fs, args, "Usage: terraform-provider-launchpad sandbox [flags]\n"+
		"\nRuns the Fly Machines API and OpenRouter keys API simulators on loopback and prints\n"+
		"their settings as VAR=value lines, e.g.:  eval \"$(terraform-provider-launchpad sandbox | sed 's/^/export /')\"\n"+
		"\nFlags:"); stop {
		return nil, code
	}
	bad := func(format string, a ...any) (*sandboxConfig, int) {
		fmt.Fprintf(stderr, "sandbox: "+format+"\nRun 'terraform-provider-launchpad sandbox -h' for the flags.\n", a...)
		return nil, 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q: the sandbox takes only flags", fs.Arg(0))
	}
	for name, addr := range map[string]string{"--fly-addr": cfg.flyAddr, "--openrouter-addr": cfg.orAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return bad("%s %q is not host:port (e.g. 127.0.0.1:0 for any free port): %v", name, addr, err)
		}
	}
	if err := cfg.faults.Validate(); err != nil {
		return bad("fault flags (--fault-rate, --rate-limit-rate, --drop-rate, --retry-after, --latency, --error-status): %v", err)
	}
	for name, v := range map[string]string{"--token": cfg.flyToken, "--management-key": cfg.mgmtKey} {
		if v != "" && !credentialPattern.MatchString(v) {
			return bad("%s must be 8-256 characters of letters, digits and _.:/+=- (it is printed for a shell to eval)", name)
		}
	}
	switch cfg.clock {
	case "wall":
		if clockStart != "" {
			return bad("--clock-start needs --clock manual")
		}
	case "manual":
		if clockStart != "" {
			t, err := time.Parse(time.RFC3339, clockStart)
			if err != nil {
				return bad("--clock-start %q is not an RFC 3339 time, e.g. 2026-03-01T00:00:00Z", clockStart)
			}
			cfg.clockStart = t.UTC()
		}
	default:
		return bad("--clock %q: use wall or manual", cfg.clock)
	}
	if cfg.keyLimitStatus != http.StatusForbidden && cfg.keyLimitStatus != http.StatusPaymentRequired {
		return bad("--key-limit-status %d: use 402 (documented) or 403 (seen from the live gateway)", cfg.keyLimitStatus)
	}
	if err := cfg.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return bad("--log-level %q: use debug, info, warn or error", logLevel)
	}
	return cfg, 0
}

// loopbackHostPort prints a listener address that local clients can dial: an unspecified
// host (0.0.0.0, ::) becomes 127.0.0.1.
func loopbackHostPort(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

func loadSandboxState(path string, fly *Fly, or *OpenRouter) error {
	var st sandboxState
	found, err := loadStateFile(path, &st)
	if err != nil || !found {
		return err
	}
	if len(st.Fly) > 0 {
		if err := fly.restoreState(st.Fly); err != nil {
			return fmt.Errorf("load state from %s: %w", path, err)
		}
	}
	if len(st.OpenRouter) > 0 {
		if err := or.restoreState(st.OpenRouter); err != nil {
			return fmt.Errorf("load state from %s: %w", path, err)
		}
	}
	return nil
}

func saveSandboxState(path string, fly *Fly, or *OpenRouter) error {
	var st sandboxState
	var err error
	if st.Fly, err = fly.stateJSON(); err != nil {
		return err
	}
	if st.OpenRouter, err = or.stateJSON(); err != nil {
		return err
	}
	return saveStateFile(path, st)
}
