package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// launchpadBinary is the binary the chaos run starts, built on first use.
var launchpadBinary stacktest.Binary

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

var tally = regexp.MustCompile(`(?m)^   (ok  |FAIL) (\w+): (.+): (\d+) passed, (\d+) failed$`)

// TestShortChaosRunPasses is `make chaos` in small: every scenario (a fleet of 6 under cloud
// faults, 6 customers' 40 deliveries through one SIGKILL of serve, 8 clients and 3 senders
// for 8 seconds), every invariant checked, the run passing, its processes gone and its
// working directory removed. `make chaos` is the long form.
func TestShortChaosRunPasses(t *testing.T) {
	got := passingRun(t, "the short chaos run",
		"-seed", "5", "-tenants", "6", "-users", "6", "-deliveries", "40", "-window", "12s", "-kills", "1",
		"-load", "8s", "-clients", "8", "-senders", "3", "-drain", "3m")
	checkTallies(t, got,
		"faults: a fleet of 6 tenants converges in one tofu apply", "faults: one of everything per tenant", "faults: isolation between tenants",
		"faults: no secret in state, logs, audit or answers", "faults: nothing left",
		"crash: every event recorded once and processed", "crash: every tenant at the plan of its newest event", "crash: no job stuck or failed",
		"crash: audit chain verifies (audit --verify)", "load: no 5xx and every request answered", "load: every event recorded once and processed",
		"final: one of everything per tenant", "final: isolation between tenants", "final: no secret in state, logs, audit or answers")
	checkSays(t, got, "kill #1 at", "peak RSS (VmHWM)", "p50", "chaos PASSED")
	pids := regexp.MustCompile(`(?:sandbox|serve) \(?pid (\d+)`).FindAllStringSubmatch(got, -1)
	if len(pids) < 4 { // two sandboxes, serve, serve after the kill
		t.Errorf("the run named %d processes it started; want at least 4", len(pids))
	}
	for _, m := range pids {
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d is still running after the run returned (kill -0: %v)", pid, err)
		}
	}
	if m := regexp.MustCompile(`working directory (\S+)`).FindStringSubmatch(got); m == nil {
		t.Error("the run did not say where it worked")
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the working directory %s is left behind (%v)", m[1], err)
	}
}

// TestShortChaosRunOnPostgres is the crash scenario in small on PostgreSQL (a server the run
// starts): two serve replicas on one store, each receiving every one of 40 Stripe deliveries,
// one of them SIGKILLed halfway — every paying customer ends with exactly one tenant at the
// plan of their newest event, every event is recorded once, no job is stuck and the audit log
// verifies.
func TestShortChaosRunOnPostgres(t *testing.T) {
	if _, err := pgtest.Find(os.Getenv(pgtest.EnvBin)); err != nil {
		pgtest.Missing(t, err)
	}
	got := passingRun(t, "the short chaos run on PostgreSQL (two replicas, one SIGKILLed)",
		"-store", "postgres", "-scenarios", "crash", "-seed", "5", "-users", "6", "-deliveries", "40", "-window", "12s", "-kills", "1", "-drain", "3m")
	checkTallies(t, got,
		"crash: every event recorded once and processed", "crash: every tenant at the plan of its newest event", "crash: no job stuck or failed",
		"crash: audit chain verifies (audit --verify)", "crash: one of everything per tenant", "final: no secret in state, logs, audit or answers")
	checkSays(t, got, "PostgreSQL store", "serve replica-b", "answered 2xx by each of 2 replica(s)", "2 replicas on PostgreSQL, each given every delivery; SIGKILL one at", "chaos PASSED")
}

// passingRun runs chaos on the built binary, tofu and examples/fleet with the flags args,
// fails the test unless the run passes, and returns what it printed (logged when the test
// fails, to see which check did). what names the run in its MEASURED line.
func passingRun(t *testing.T, what string, args ...string) string {
	t.Helper()
	tf, bin := stacktest.Tofu(t), launchpadBinary.Path(t)
	var out, errOut stacktest.Output
	start := time.Now()
	code := cli(t.Context(), append([]string{"-binary", bin, "-tofu", tf, "-fleet", filepath.Join("..", "..", "..", "examples", "fleet")}, args...), &out, &errOut)
	t.Logf("MEASURED %s: %s", what, time.Since(start).Round(time.Millisecond))
	got := out.String()
	if code != 0 {
		t.Fatalf("chaos exited %d: %s\n%s", code, errOut.String(), got)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("\n" + got)
		}
	})
	return got
}

// checkSays fails t for each of wants the run's output lacks.
func checkSays(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
}

// checkTallies fails t unless every invariant the run printed passed with at least one
// subject, and each of wants was checked.
func checkTallies(t *testing.T, out string, wants ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range tally.FindAllStringSubmatch(out, -1) {
		if m[1] != "ok  " || m[5] != "0" || m[4] == "0" {
			t.Errorf("invariant %s: %s: %s passed, %s failed", m[2], m[3], m[4], m[5])
		}
		seen[m[2]+": "+m[3]] = true
	}
	for _, want := range wants {
		if !seen[want] {
			t.Errorf("the run did not check %q", want)
		}
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-scenarios", "faults,meteor"}, {"-lease", "2s"}, {"-clients", "300"}, {"-store", "mysql"}, {"-postgres-url", "postgres://x/y"}} {
		var out, errOut stacktest.Output
		if code := cli(t.Context(), args, &out, &errOut); code != 2 || errOut.String() == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut stacktest.Output
	if code := cli(t.Context(), []string{"-binary", filepath.Join(t.TempDir(), "terraform-provider-launchpad")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "make build") {
		t.Errorf("a missing binary: exit %d, %q", code, errOut.String())
	}
}
