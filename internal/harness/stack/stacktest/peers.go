package stacktest

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Tofu returns the OpenTofu binary: TF_ACC_TERRAFORM_PATH (what `make test` sets) or
// LAUNCHPAD_TOFU. A variable that names no executable fails the test; with neither set the
// test is Missing.
func Tofu(tb testing.TB) string {
	tb.Helper()
	for _, env := range []string{"TF_ACC_TERRAFORM_PATH", "LAUNCHPAD_TOFU"} {
		if p := os.Getenv(env); p != "" {
			return executable(tb, env, p)
		}
	}
	Missing(tb, "OpenTofu not found: set TF_ACC_TERRAFORM_PATH or LAUNCHPAD_TOFU to the tofu binary (`make tools` builds bin/tofu; `make test` sets it)")
	return ""
}

// StripeMock returns the stripe-mock binary (v0.183.0, the version whose spec is stripe-go
// v76's API version): STRIPE_MOCK_BIN (what `make test` sets) or stripe-mock on PATH; like
// Tofu otherwise.
func StripeMock(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("STRIPE_MOCK_BIN"); p != "" {
		return executable(tb, "STRIPE_MOCK_BIN", p)
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	Missing(tb, "stripe-mock not found: set STRIPE_MOCK_BIN (`make tools` installs stripe-mock v0.183.0 into bin/; `make test` sets it)")
	return ""
}

// executable checks that the path env names can be run.
func executable(tb testing.TB, env, p string) string {
	tb.Helper()
	abs, err := exec.LookPath(p)
	if err != nil {
		tb.Fatalf("%s=%s is not an executable: %v", env, p, err)
	}
	return abs
}

// StartStripeMock runs stripe-mock (see StripeMock) on a free loopback port until the test
// ends and returns its base URL.
func StartStripeMock(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(StripeMock(tb), "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		tb.Fatal("stripe-mock did not say where it listens within 30s")
		return ""
	}
}
