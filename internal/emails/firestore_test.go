package emails

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore/emulator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestCommandOnFirestore is TestCommandOnSQLite on the production store, in the Cloud
// Firestore emulator (the one FIRESTORE_EMULATOR_HOST names, or a new one); without an
// emulator it fails when CI=true and is skipped, loudly, otherwise.
func TestCommandOnFirestore(t *testing.T) {
	host := emulator.ForTest(t)
	t.Setenv("FIRESTORE_EMULATOR_HOST", host) // what the command's store.Open reads
	project := "lp-emails-" + launchpad.NewID(12)
	st, err := firestore.Open(context.Background(), project, firestore.Options{EmulatorHost: host})
	if err != nil {
		t.Fatalf("firestore.Open: %v", err)
	}
	t.Cleanup(func() {
		_ = st.Close()
		if err := emulator.Reset(context.Background(), host, project); err != nil {
			t.Logf("resetting %s: %v", project, err)
		}
	})
	seed(t, st)
	testCommand(t, st, "firestore://"+project)
}
