package firestore

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore/emulator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The tests of this package share one emulator per test process, started by TestMain (or the
// one FIRESTORE_EMULATOR_HOST names), and give every test — every conformance case — a project
// of its own, so that they are isolated and run in parallel.
var (
	emulatorHost string
	emulatorErr  error // why there is no emulator; tests fail (CI=true) or skip with it
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		// A worker process of the two-process test: its parent passes the emulator's address.
		emulatorHost = os.Getenv(emulator.EnvHost)
		os.Exit(m.Run())
	}
	var stop func() error
	start := time.Now()
	emulatorHost, stop, emulatorErr = emulator.ForTests(context.Background(), nil)
	if emulatorErr == nil {
		fmt.Fprintf(os.Stderr, "firestore: emulator on %s (ready after %s)\n", emulatorHost, time.Since(start).Round(time.Millisecond))
	}
	os.Exit(conformance.Main(m, stop))
}

// requireEmulator fails (CI=true) or skips t when there is no emulator.
func requireEmulator(t testing.TB) {
	t.Helper()
	if emulatorErr != nil {
		emulator.Missing(t, emulatorErr)
	}
}

// newProject returns a fresh project id for one test and resets its data when the test ends.
func newProject(t testing.TB) string {
	t.Helper()
	requireEmulator(t)
	project := "lp-test-" + launchpad.NewID(12)
	t.Cleanup(func() {
		if err := emulator.Reset(context.Background(), emulatorHost, project); err != nil {
			t.Logf("resetting %s: %v", project, err)
		}
	})
	return project
}

// openStore opens a Store on project in the test emulator and closes it when the test ends.
func openStore(t testing.TB, project string, opts Options) *Store {
	t.Helper()
	opts.EmulatorHost = emulatorHost
	s, err := Open(context.Background(), project, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", project, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestStore is a fresh, empty store on a project of its own.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, newProject(t), Options{})
}
