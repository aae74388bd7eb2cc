package controlplane

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
)

var (
	buildOnce sync.Once
	buildDir  string
	built     string
	buildErr  error
)

// TestMain removes the binary built for the end-to-end tests, if any was built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// launchpadBinary builds this repository's binary (the provider, `serve` and `sandbox`) once
// per test process, on first use, so that the tests that need no binary do not pay for it.
func launchpadBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		if buildDir, buildErr = os.MkdirTemp("", "launchpad-controlplane-test-"); buildErr != nil {
			return
		}
		built = filepath.Join(buildDir, runner.ProviderBinaryName)
		cmd := exec.Command("go", "build", "-o", built, ".")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build of the launchpad binary: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// tofuPath finds OpenTofu: TF_ACC_TERRAFORM_PATH (what `make test` sets) or LAUNCHPAD_TOFU.
// Without one the test fails when CI=true and is skipped, saying why, otherwise.
func tofuPath(t testing.TB) string {
	t.Helper()
	for _, env := range []string{"TF_ACC_TERRAFORM_PATH", "LAUNCHPAD_TOFU"} {
		if p := os.Getenv(env); p != "" {
			abs, err := exec.LookPath(p)
			if err != nil {
				t.Fatalf("%s=%s is not an executable: %v", env, p, err)
			}
			return abs
		}
	}
	missing(t, "OpenTofu not found: set TF_ACC_TERRAFORM_PATH or LAUNCHPAD_TOFU to the tofu binary (`make tools` builds bin/tofu; `make test` sets it)")
	return ""
}

// stripeMockPath finds stripe-mock v0.183.0: STRIPE_MOCK_BIN (what `make test` sets) or
// stripe-mock on PATH; like tofuPath otherwise.
func stripeMockPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("STRIPE_MOCK_BIN"); p != "" {
		abs, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("STRIPE_MOCK_BIN=%s is not an executable: %v", p, err)
		}
		return abs
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	missing(t, "stripe-mock not found: set STRIPE_MOCK_BIN (`make tools` installs stripe-mock v0.183.0 into bin/; `make test` sets it)")
	return ""
}

// missing fails the test under CI and skips it, loudly, elsewhere.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

// fakeTofu is an executable that stands in for tofu where a test needs serve to start but
// applies nothing: serve only checks that LAUNCHPAD_TOFU can be run.
func fakeTofu(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tofu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho 'this fake tofu applies nothing' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
