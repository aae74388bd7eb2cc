package firestore

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
)

// TestConformance runs the conformance suite every launchpad.Store must pass, each case on a
// project of its own in the emulator, in parallel.
func TestConformance(t *testing.T) {
	requireEmulator(t)
	conformance.Run(t, "firestore (the emulator)", func(t *testing.T) launchpad.Store { return newTestStore(t) })
}

// What TestMain reports after the run.
var conformance storetest.Tally
