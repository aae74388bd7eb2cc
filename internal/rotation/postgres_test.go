package rotation

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// TestRotateKilledHalfwayAndResumedPostgres is the core rotation test on the self-hosted
// multi-replica store, on a PostgreSQL server the test starts (internal/postgres/pgtest: initdb
// into a temporary directory) or the one LAUNCHPAD_TEST_POSTGRES_URL names. Without PostgreSQL
// it fails when CI=true and is skipped, loudly, otherwise.
func TestRotateKilledHalfwayAndResumedPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 10,000-credential rotation on PostgreSQL runs in the full test suite")
	}
	if raceDetector {
		t.Skip("the 10,000-credential rotation runs without the race detector (make test's second pass): under it the crypto takes minutes")
	}
	url := pgtest.Schema(t, pgtest.ForTest(t))
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	testKilledHalfwayAndResumed(t, st, credentialsInCoreTest/2, DefaultWorkers)
}
