package live

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
)

// Packages are the packages whose live tests (files behind the `live` build tag, tests named
// TestLive…) a live run runs: the provider's acceptance tests and the control plane's smoke
// test.
var Packages = []string{"./provider/", "./controlplane/"}

// TestPattern selects the live tests in Packages.
const TestPattern = "^TestLive"

// Main is `make testlive` (cmd/testlive). It checks the configuration: with a setting it
// refuses (a live-mode Stripe key, a bad prefix) it exits 2 and names it; with a credential
// missing it prints "SKIPPED: …", naming each missing variable, and exits 0. Otherwise it runs
// the live tests with `go test -tags live` (LAUNCHPAD_LIVE=1, the acceptance tests on the real
// tofu) and then, always — after a failure, a panic, or ctx ending (Ctrl-C, SIGTERM: the
// tests are interrupted first) — sweeps everything that carries the prefix and prints what it
// deleted. It exits 1 if a test failed or the sweep left something behind.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("testlive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tofu := fs.String("tofu", "bin/tofu", "the OpenTofu executable the acceptance tests run (make tools builds bin/tofu)")
	goBin := fs.String("go", "go", "the go command that runs the tests")
	run := fs.String("run", TestPattern, "which live tests to run (go test -run)")
	timeout := fs.Duration("timeout", 45*time.Minute, "go test -timeout for the live tests")
	sweepOnly := fs.Bool("sweep-only", false, "run no test: only delete what carries the prefix (after a run that was killed)")
	check := fs.Bool("check", false, "print nothing and run nothing: exit 0 if the configuration lets a live run start, else 3")
	if code, stop := cliflag.Parse(fs, args, "Usage: testlive [flags]\n\nRuns the live tests against a real Fly organization, OpenRouter and Stripe in test mode, then sweeps\n"+
		"everything named with the prefix. Reads "+strings.Join(envNames(), ", ")+".\n\nFlags:"); stop {
		return code
	}

	// The tests' output and testlive's own messages (an interruption is reported while the
	// tests still write) go to the same writers.
	stdout, stderr = &syncWriter{w: stdout}, &syncWriter{w: stderr}
	c := FromEnv(getenv)
	if *check {
		if len(c.Problems()) > 0 {
			return 3
		}
		return 0
	}
	if refused := c.Refusals(); len(refused) > 0 {
		fmt.Fprintf(stderr, "REFUSED: the live run did not start:\n  - %s\n", strings.Join(refused, "\n  - "))
		return 2
	}
	if missing := c.Missing(); len(missing) > 0 {
		fmt.Fprintf(stdout, "SKIPPED: the live tests did not run: %s not set.\n", strings.Join(missing, ", "))
		fmt.Fprintf(stdout, "  A live run needs %s, %s, %s and %s (a test-mode key, sk_test_…);\n"+
			"  optional: %s (default %s), %s (default iad), %s (default %s), %s, %s.\n"+
			"  Nothing was created and nothing was swept.\n",
			EnvFlyToken, EnvFlyOrg, EnvORKey, EnvStripeKey, EnvPrefix, DefaultPrefix, EnvRegion, EnvImage, DefaultImage, EnvFlyURL, EnvORURL)
		return 0
	}

	// The sweep runs whatever happens from here on, and can turn a success into a failure.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "testlive: %v\n", p)
			code = 1
		}
		if !sweepAndReport(ctx, c, stdout, stderr) {
			code = 1
		}
	}()
	if *sweepOnly {
		return code
	}
	fmt.Fprintf(stdout, "live run: Fly org %s, region %s, image %s; everything it makes is named with the prefix %q and swept afterwards\n",
		c.FlyOrg, c.Region, c.Image, c.Prefix)
	if err := runTests(ctx, *goBin, *tofu, *run, *timeout, getenv, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "FAIL: the live tests: %v\n", err)
		code = 1
	} else {
		fmt.Fprintln(stdout, "PASS: the live tests")
	}
	return code
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// envNames are the variables a live run reads.
func envNames() []string {
	return []string{EnvFlyToken, EnvFlyOrg, EnvORKey, EnvStripeKey, EnvPrefix, EnvRegion, EnvImage, EnvFlyURL, EnvORURL}
}

// runTests runs `go test -tags live` on Packages with the environment of a live run. When ctx
// ends the tests (their whole process group, where there is one) are interrupted and given
// a minute to stop.
func runTests(ctx context.Context, goBin, tofu, run string, timeout time.Duration, getenv func(string) string, stdout, stderr io.Writer) error {
	tofuPath, err := filepath.Abs(tofu)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(tofuPath); err != nil || fi.IsDir() {
		return fmt.Errorf("no OpenTofu at %s (make tools builds bin/tofu): %v", tofuPath, err)
	}
	// These machines may export TF_CLI_CONFIG_FILE naming a file that does not exist, and
	// tofu then prints a warning that the test framework cannot parse: use an empty one.
	cliConfig := getenv("TF_CLI_CONFIG_FILE")
	if _, err := os.Stat(cliConfig); cliConfig == "" || err != nil {
		dir, err := os.MkdirTemp("", "testlive-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cliConfig = filepath.Join(dir, "tofurc")
		if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
			return err
		}
	}
	args := append([]string{"test", "-tags", "live", "-count=1", "-v", "-timeout", timeout.String(), "-run", run}, Packages...)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(),
		EnvLive+"=1",
		"TF_ACC=1",
		"TF_ACC_TERRAFORM_PATH="+tofuPath,
		"TF_ACC_PROVIDER_HOST=registry.opentofu.org",
		"TF_ACC_PROVIDER_NAMESPACE=hashicorp",
		"TF_CLI_CONFIG_FILE="+cliConfig,
	)
	ownGroup(cmd)
	cmd.Cancel = func() error {
		fmt.Fprintln(stderr, "testlive: interrupted: stopping the live tests, then sweeping (a second Ctrl-C does not skip the sweep)")
		return interrupt(cmd.Process)
	}
	cmd.WaitDelay = time.Minute
	return cmd.Run()
}

// sweepAndReport sweeps what carries the prefix, on a context of its own (the run's may have
// ended), prints what it deleted, and reports whether nothing was left behind.
func sweepAndReport(ctx context.Context, c Config, stdout, stderr io.Writer) bool {
	fmt.Fprintf(stdout, "sweeping everything named with the prefix %q (Fly org %s, OpenRouter, Stripe test mode)\n", c.Prefix, c.FlyOrg)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SweepTimeout)
	defer cancel()
	swept, err := Sweep(sctx, c, stdout)
	fmt.Fprintf(stdout, "swept: %s\n", swept)
	if err != nil {
		fmt.Fprintf(stderr, "SWEEP INCOMPLETE: %v\n  run `make testlive TESTLIVE_FLAGS=-sweep-only` to try again\n", err)
		return false
	}
	return true
}
