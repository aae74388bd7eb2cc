package postgres_test

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
)

// execSQL runs statements on the schema url names, outside any store.
func execSQL(t *testing.T, url string, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// versions reads schema_versions.
func versions(t *testing.T, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT version || ':' || name || ':' || oldest_compatible FROM schema_versions ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplicasStartingTogetherMigrateOnce opens 8 stores on one new schema at once, as
// replicas started by one deploy do: the advisory lock lets one apply each migration, and the
// others find it applied.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := freshURL(t)
	const replicas = 8
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err == nil {
				errs[i] = db.CreateUser(context.Background(), &launchpad.User{ID: fmt.Sprintf("u%d", i)})
				db.Close()
			} else {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	got, want := versions(t, url), shippedVersions(t)
	if !slices.Equal(got, want) {
		t.Fatalf("schema_versions = %v, want each migration once: %v", got, want)
	}
}

// shippedVersions is what schema_versions holds after every migration this binary ships ran
// once: "version:name:oldest compatible", from the files in migrations/ (none contracting).
func shippedVersions(t *testing.T) []string {
	t.Helper()
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		num, name, ok := strings.Cut(strings.TrimSuffix(f.Name(), ".sql"), "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			t.Fatalf("migration file %s is not named NNNN_name.sql", f.Name())
		}
		out = append(out, fmt.Sprintf("%d:%s:1", n, name))
	}
	return out
}

// TestNewerSchema: during a deploy the new binary migrates first; a replica of the old one
// (re)started then still opens the schema after an expanding migration, and refuses it after a
// contracting one, naming the version it needs.
func TestNewerSchema(t *testing.T) {
	url := freshURL(t)
	openStore(t, url, postgres.Options{}).Close()
	execSQL(t, url, `ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT ''`)
	next := len(shippedVersions(t)) + 1
	execSQL(t, url, fmt.Sprintf(`INSERT INTO schema_versions (version, name, oldest_compatible, applied_at) VALUES (%d, 'user_nickname', 1, now())`, next))
	db := openStore(t, url, postgres.Options{})
	if err := db.CreateUser(t.Context(), &launchpad.User{ID: "old-binary", Email: "old@example.com"}); err != nil {
		t.Fatalf("the old binary cannot write to the expanded schema: %v", err)
	}
	if _, err := db.UpdateUser(t.Context(), "old-binary", func(u *launchpad.User) error { u.Plan = "pro"; return nil }); err != nil {
		t.Fatalf("the old binary cannot update on the expanded schema: %v", err)
	}

	contracted := next + 1
	execSQL(t, url, fmt.Sprintf(`INSERT INTO schema_versions (version, name, oldest_compatible, applied_at) VALUES (%d, 'drop_something', %d, now())`, contracted, contracted))
	_, err := postgres.Open(t.Context(), url, postgres.Options{})
	if want := fmt.Sprintf("version %d", contracted); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open on a contracted schema = %v, want EINVALID naming %s", err, want)
	}
}

// TestForeignSchemaRefused: a schema that holds another program's tables is left untouched.
func TestForeignSchemaRefused(t *testing.T) {
	url := freshURL(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	execSQL(t, url, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	execSQL(t, url, `CREATE TABLE users (id int PRIMARY KEY, name text)`)
	_, err = postgres.Open(t.Context(), url, postgres.Options{})
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "users") {
		t.Fatalf("Open on a schema with another program's users table = %v, want EINVALID naming it", err)
	}
	execSQL(t, url, `INSERT INTO users VALUES (1, 'still here')`)
}

// TestAuditIsAppendOnly: not even the store's own role can change or remove an event.
func TestAuditIsAppendOnly(t *testing.T) {
	url := freshURL(t)
	db := openStore(t, url, postgres.Options{})
	if _, err := db.AppendAudit(t.Context(), &launchpad.AuditEvent{Stream: "u1", Action: launchpad.AuditSignIn}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{`UPDATE audit_events SET actor = 'forged'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`,
		`UPDATE audit_events SET trimmed = true, actor = 'forged'`, `UPDATE audit_events SET trimmed = true, hash = 'forged'`} {
		if _, err := conn.Exec(t.Context(), sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", sql, err)
		}
	}
}
