package controlplane

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

// launchpadBinary is this repository's binary (the provider, `serve` and `sandbox`) for the
// end-to-end tests, built on first use so that the tests that need no binary do not pay for it.
var launchpadBinary stacktest.Binary

// TestMain removes the binary built for the end-to-end tests, if any was built.
func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }

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
