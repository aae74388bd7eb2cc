package pgtest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

// Environment variables the helpers read.
const (
	// EnvURL names a running server (a postgres:// URL of a role that may create schemas) to
	// use instead of starting one, e.g. a CI service.
	EnvURL = "LAUNCHPAD_TEST_POSTGRES_URL"
	// EnvBin is the directory of initdb and postgres (see Find).
	EnvBin = "LAUNCHPAD_PG_BIN"
)

// ForTests provides a server for one test process: the one LAUNCHPAD_TEST_POSTGRES_URL names
// if set (it must answer), else a new one (Find(LAUNCHPAD_PG_BIN), Start). It returns the URL
// of a database the tests may create schemas in, a description for the test output, and stop,
// which ends what ForTests started (nothing for a named server). An error wrapping
// ErrNotInstalled means PostgreSQL is missing; pass it to Missing.
func ForTests(ctx context.Context, output io.Writer) (base, about string, stop func() error, err error) {
	if u := os.Getenv(EnvURL); u != "" {
		if err := ping(ctx, u); err != nil {
			return "", "", nil, fmt.Errorf("%s does not answer (%v); unset it to let the tests start a server", EnvURL, err)
		}
		return u, "the server " + EnvURL + " names", func() error { return nil }, nil
	}
	bin, err := Find(os.Getenv(EnvBin))
	if err != nil {
		return "", "", nil, err
	}
	start := time.Now()
	s, err := Start(ctx, Config{Binaries: bin, Output: output})
	if err != nil {
		return "", "", nil, err
	}
	about = fmt.Sprintf("%s, a server the tests started on port %d, ready after %s",
		s.Version(), s.Port(), time.Since(start).Round(time.Millisecond))
	return s.URL("postgres"), about, s.Stop, nil
}

// ForTest provides a server for one test, stopped when the test ends; without PostgreSQL the
// test fails (CI=true) or is skipped, loudly.
func ForTest(tb testing.TB) string {
	tb.Helper()
	base, about, stop, err := ForTests(context.Background(), nil)
	if err != nil {
		Missing(tb, err)
		return ""
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	tb.Logf("PostgreSQL: %s", about)
	return base
}

// Missing reports that PostgreSQL cannot be used, by the repository's one rule for a missing
// peer (stacktest.Missing): the test fails when CI=true (a CI run must not pass without the
// PostgreSQL tests) and is skipped, loudly, everywhere else.
func Missing(tb testing.TB, err error) {
	tb.Helper()
	stacktest.Missing(tb, fmt.Sprintf("POSTGRESQL UNAVAILABLE, PostgreSQL store NOT TESTED: %v", err))
}

// Schema returns base with search_path set to a new schema name, so that a store opened on it
// starts empty and creates its tables there; the schema is dropped when tb ends. Schemas let
// the tests of one process share one server and run in parallel.
func Schema(tb testing.TB, base string) string {
	tb.Helper()
	name := "lp_test_" + strings.ToLower(randomHex(6))
	u, err := WithSchema(base, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DropSchema(ctx, base, name); err != nil {
			tb.Logf("dropping schema %s: %v", name, err)
		}
	})
	return u
}

// WithSchema returns the URL base with its search_path set to schema.
func WithSchema(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("pgtest: the server URL does not parse: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropSchema drops a schema and everything in it.
func DropSchema(ctx context.Context, base, schema string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}
