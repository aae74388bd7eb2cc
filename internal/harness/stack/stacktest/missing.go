// Package stacktest is what the tests that run Launchpad's stack for real share: this
// repository's binary, built once per test process; OpenTofu and stripe-mock, found as `make
// test` provides them; and the one rule for a peer that is missing — the test fails when
// CI=true (a CI run must not pass without it) and is skipped, saying why, everywhere else.
package stacktest

import (
	"os"
	"os/exec"
	"testing"
)

// Missing reports that something the test needs is not there: msg says what and how to get
// it. The test fails when CI=true and is skipped, loudly, elsewhere.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
		return
	}
	tb.Skip("SKIPPED: " + msg)
}

// Command returns the path of the program name on PATH; without it the test is Missing, with
// msg saying what to install.
func Command(tb testing.TB, name, msg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, msg)
	}
	return p
}
