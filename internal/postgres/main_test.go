package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// The tests of this package share one PostgreSQL server per test process, started by TestMain
// (initdb into a temporary directory; or the one LAUNCHPAD_TEST_POSTGRES_URL names), and give
// every test — every conformance case — a schema of its own, so that they are isolated and run
// in parallel.
var (
	serverURL   string // a database the tests create schemas in
	serverAbout string
	serverErr   error // why there is no server; tests fail (CI=true) or skip with it
)

func TestMain(m *testing.M) {
	if u := os.Getenv(helperURLEnv); u != "" {
		// A worker process of the two-process test: its parent passes the schema's URL.
		serverURL = u
		os.Exit(m.Run())
	}
	var stop func() error
	serverURL, serverAbout, stop, serverErr = pgtest.ForTests(context.Background(), nil)
	if serverErr == nil {
		fmt.Fprintf(os.Stderr, "postgres: %s\n", serverAbout)
	}
	os.Exit(conformance.Main(m, stop))
}

// requireServer fails (CI=true) or skips t when there is no server.
func requireServer(t testing.TB) {
	t.Helper()
	if serverErr != nil {
		pgtest.Missing(t, serverErr)
	}
}

// freshURL is the URL of a new, empty schema, dropped when t ends.
func freshURL(t testing.TB) string {
	t.Helper()
	requireServer(t)
	return pgtest.Schema(t, serverURL)
}

// openStore opens a store on url and closes it when the test ends.
func openStore(t testing.TB, url string, opts postgres.Options) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// newTestStore is a fresh, empty store in a schema of its own.
func newTestStore(t testing.TB) *postgres.DB {
	t.Helper()
	return openStore(t, freshURL(t), postgres.Options{})
}

// What TestMain reports after the run.
var conformance storetest.Tally
