package postgres_test

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
)

// TestConformance runs the conformance suite every launchpad.Store must pass, each case in a
// schema of its own on the test server, in parallel. A case that skips counts against the
// store: the issue asks for the whole suite with nothing skipped.
func TestConformance(t *testing.T) {
	requireServer(t)
	start := time.Now()
	storetest.Run(t, func(t *testing.T) launchpad.Store {
		conformanceRan.Add(1)
		t.Cleanup(func() {
			if t.Skipped() {
				conformanceSkipped.Add(1)
			}
		})
		return newTestStore(t)
	})
	conformanceTook = time.Since(start)
	if n := conformanceSkipped.Load(); n > 0 {
		t.Errorf("%d conformance cases skipped on postgres; the suite must run whole", n)
	}
	t.Logf("postgres: %d conformance cases ran of %d, in %s", conformanceRan.Load(), storetest.Count(), conformanceTook.Round(time.Millisecond))
}
