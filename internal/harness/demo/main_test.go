package main

import (
	"context"
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
)

// launchpadBinary is the binary the demo starts, built on first use.
var launchpadBinary stacktest.Binary

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

var (
	startedPID = regexp.MustCompile(`started (sandbox|serve), pid (\d+)`)
	workDir    = regexp.MustCompile(`working directory (\S+)`)
)

// checkStopped fails the test if a process the demo started is still alive.
func checkStopped(t *testing.T, out string) {
	t.Helper()
	ms := startedPID.FindAllStringSubmatch(out, -1)
	if len(ms) == 0 {
		t.Fatalf("the demo named no process it started:\n%s", out)
	}
	for _, m := range ms {
		pid, _ := strconv.Atoi(m[2])
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) is still running after the demo returned (kill -0: %v)", m[1], pid, err)
		}
	}
}

// TestDemoRunsGreen runs `make demo`'s program as make does and checks that each step did
// what it says, that its processes are gone and its working directory removed.
func TestDemoRunsGreen(t *testing.T) {
	tf, bin := stacktest.Tofu(t), launchpadBinary.Path(t)
	var out, errOut stacktest.Output
	start := time.Now()
	code := cli(t.Context(), []string{"-binary", bin, "-tofu", tf, "-fleet", filepath.Join("..", "..", "..", "examples", "fleet"), "-retention", "3s"}, &out, &errOut)
	t.Logf("MEASURED the whole demo: %s", time.Since(start).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("demo exited %d: %s\n%s", code, errOut.String(), out.String())
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"Apply complete! Resources: 2 added, 0 changed, 0 destroyed.", // the plans
		"plan starter  price_StarterMonthly: 1 shared CPU, 1024 MB, 5 GB volume, key limit $10",
		"customer.subscription.created", "2 to add, 0 to change, 0 to destroy",
		"machine 1→2 CPU, 1024→4096 MB; volume 5→20 GB (same volume); key limit $10→$50 (same key)",
		"0 to add, 2 to change, 0 to destroy",
		"launchpad_tenant.this: Destroying...", "0 to add, 0 to change, 2 to destroy",
		"0 apps, 0 live OpenRouter keys", "subscription canceled, 0 tenants",
		"Done in", "stopped serve", "stopped sandbox",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	checkStopped(t, got)
	if m := workDir.FindStringSubmatch(got); m == nil {
		t.Error("the demo did not say where it worked")
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the working directory %s is left behind (%v)", m[1], err)
	}
	if errOut.String() != "" {
		t.Errorf("the demo wrote to stderr: %s", errOut.String())
	}
}

// TestDemoCleansUpWhenInterrupted is Ctrl-C in the middle of the demo: it exits non-zero,
// stops serve and the sandbox, and keeps its logs for a look.
func TestDemoCleansUpWhenInterrupted(t *testing.T) {
	tf, bin := stacktest.Tofu(t), launchpadBinary.Path(t)
	var out, errOut stacktest.Output
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	go func() {
		out.WaitFor(ctx, "started serve")
		interrupt()
	}()
	code := cli(ctx, []string{"-binary", bin, "-tofu", tf, "-fleet", filepath.Join("..", "..", "..", "examples", "fleet")}, &out, &errOut)
	got := out.String()
	if m := workDir.FindStringSubmatch(got); m != nil {
		t.Cleanup(func() { os.RemoveAll(m[1]) })
	}
	if code != 1 || !strings.Contains(errOut.String(), "demo FAILED") || !strings.Contains(got, "kept in") {
		t.Fatalf("interrupted demo: exit %d, stderr %q\n%s", code, errOut.String(), got)
	}
	checkStopped(t, got)
}

func TestDemoRefusesWhatItCannotRun(t *testing.T) {
	var out, errOut stacktest.Output
	if code := cli(t.Context(), []string{"-binary", filepath.Join(t.TempDir(), "terraform-provider-launchpad")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "make build") {
		t.Fatalf("a missing binary: exit %d, %q", code, errOut.String())
	}
	var errOut2 stacktest.Output
	if code := cli(t.Context(), []string{"extra"}, &out, &errOut2); code != 2 || !strings.Contains(errOut2.String(), "no arguments") {
		t.Fatalf("an argument: exit %d, %q", code, errOut2.String())
	}
}
