package storetest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Tally counts what one store's run of the suite did — the cases that ran, those that
// skipped, how long the run took — and says so in one line, "conformance: 230 of 230 cases
// ran on sqlite in 1.2s, 0 skipped", which the test report lists among its figures.
type Tally struct {
	on           atomic.Pointer[string] // the store and its peer: "firestore (the emulator)"
	ran, skipped atomic.Int64
	elapsed      atomic.Int64 // nanoseconds
}

// Run runs the suite as Run does, counting into tl, and logs the tally. A case that skips
// counts against the store (the suite must run whole): Run fails t when one did. on names the
// store, and its peer if it has one.
func (tl *Tally) Run(t *testing.T, on string, newStore func(t *testing.T) launchpad.Store) {
	t.Helper()
	tl.on.Store(&on)
	start := time.Now()
	Run(t, func(t *testing.T) launchpad.Store {
		tl.ran.Add(1)
		t.Cleanup(func() {
			if t.Skipped() {
				tl.skipped.Add(1)
			}
		})
		return newStore(t)
	})
	tl.elapsed.Store(int64(time.Since(start)))
	if n := tl.skipped.Load(); n > 0 {
		t.Errorf("%d conformance cases skipped on %s; the suite must run whole", n, on)
	}
	t.Log(tl.line())
}

func (tl *Tally) line() string {
	return fmt.Sprintf("conformance: %d of %d cases ran on %s in %s, %d skipped", tl.ran.Load(), Count(),
		tl.store(), time.Duration(tl.elapsed.Load()).Round(time.Millisecond), tl.skipped.Load())
}

// store is what Run was told it runs on ("the store" before Run).
func (tl *Tally) store() string {
	if on := tl.on.Load(); on != nil {
		return *on
	}
	return "the store"
}

// Main is the end of the TestMain of a store package whose tests share one peer (an emulator,
// a server): it runs the tests, prints the tally when `go test` is quiet (Run logged it
// otherwise), stops the peer (stop may be nil) and returns the exit code. A peer that fails to
// stop fails the run.
func (tl *Tally) Main(m *testing.M, stop func() error) int {
	code := m.Run()
	if tl.ran.Load() > 0 && !testing.Verbose() {
		fmt.Fprintln(os.Stderr, tl.line())
	}
	if stop != nil {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: stopping its peer: %v\n", tl.store(), err)
			code = 1
		}
	}
	return code
}
