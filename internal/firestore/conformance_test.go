package firestore

import (
	"sync/atomic"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
)

// TestConformance runs the conformance suite every launchpad.Store must pass, each case on a
// project of its own in the emulator, in parallel.
func TestConformance(t *testing.T) {
	requireEmulator(t)
	var ran atomic.Int64
	storetest.Run(t, func(t *testing.T) launchpad.Store {
		ran.Add(1)
		return newTestStore(t)
	})
	t.Logf("conformance: %d of %d cases ran on firestore", ran.Load(), storetest.Count())
	if int(ran.Load()) != storetest.Count() {
		t.Errorf("only %d of the %d conformance cases got a store", ran.Load(), storetest.Count())
	}
}
