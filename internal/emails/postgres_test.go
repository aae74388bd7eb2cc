package emails

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// TestCommandOnPostgres is TestCommandOnSQLite on a PostgreSQL server the test starts
// (internal/postgres/pgtest) or the one LAUNCHPAD_TEST_POSTGRES_URL names; without
// PostgreSQL it fails when CI=true and is skipped, loudly, otherwise.
func TestCommandOnPostgres(t *testing.T) {
	url := pgtest.Schema(t, pgtest.ForTest(t))
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seed(t, st)
	testCommand(t, st, url)
}
