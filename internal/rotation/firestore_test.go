package rotation

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore/emulator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestRotateKilledHalfwayAndResumedFirestore is the core rotation test on the production
// store, in the Cloud Firestore emulator (internal/firestore/emulator: the one
// FIRESTORE_EMULATOR_HOST names, or a new one). Without an emulator it fails when CI=true
// and is skipped, loudly, otherwise.
func TestRotateKilledHalfwayAndResumedFirestore(t *testing.T) {
	skipTheFullRotation(t, "Firestore")
	host := startEmulator(t)
	project := "lp-rotation-" + launchpad.NewID(12)
	ctx := context.Background()
	st, err := firestore.Open(ctx, project, firestore.Options{EmulatorHost: host})
	if err != nil {
		t.Fatalf("firestore.Open: %v", err)
	}
	t.Cleanup(func() {
		_ = st.Close()
		if err := emulator.Reset(context.Background(), host, project); err != nil {
			t.Logf("resetting %s: %v", project, err)
		}
	})
	testKilledHalfwayAndResumed(t, st, credentialsInCoreTest/2, 16)
}

// startEmulator provides a Firestore emulator for one test and stops it afterwards.
func startEmulator(t *testing.T) string {
	t.Helper()
	host, stop, err := emulator.ForTests(context.Background(), nil)
	if err != nil {
		emulator.Missing(t, err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the Firestore emulator: %v", err)
		}
	})
	t.Logf("Firestore emulator on %s", host)
	return host
}
