package firestore

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
)

// TestConformance runs the conformance suite every launchpad.Store must pass, each case on a
// project of its own in the emulator, in parallel.
func TestConformance(t *testing.T) {
	requireEmulator(t)
	start := time.Now()
	storetest.Run(t, func(t *testing.T) launchpad.Store {
		conformanceRan.Add(1)
		return newTestStore(t)
	})
	conformanceTook = time.Since(start)
	t.Logf("firestore: %d conformance cases ran of %d, in %s", conformanceRan.Load(), storetest.Count(), conformanceTook.Round(time.Millisecond))
}

// What TestMain reports after the run, so that even a quiet `go test` shows how many
// conformance cases ran on this store.
var (
	conformanceRan  atomic.Int64
	conformanceTook time.Duration
)
