package rotation

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// TestRotateKilledHalfwayAndResumedPostgres is the core rotation test on the self-hosted
// multi-replica store, on a PostgreSQL server the test starts (internal/postgres/pgtest: initdb
// into a temporary directory) or the one LAUNCHPAD_TEST_POSTGRES_URL names. Without PostgreSQL
// it fails when CI=true and is skipped, loudly, otherwise.
func TestRotateKilledHalfwayAndResumedPostgres(t *testing.T) {
	skipTheFullRotation(t, "PostgreSQL")
	st, _ := openPostgres(t)
	testKilledHalfwayAndResumed(t, st, credentialsInCoreTest/2, DefaultWorkers)
}

// TestCommandOnPostgres: rotate-secret with LAUNCHPAD_STORE set to a PostgreSQL URL re-seals
// every credential there, and its output never shows the URL's password.
func TestCommandOnPostgres(t *testing.T) {
	st, url := openPostgres(t)
	seedUsers(t, st, mustKeyring(t, oldSecret, ""), 12)
	env := map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret, "LAUNCHPAD_STORE": url, "USER": "alice"}
	code, stdout, stderr := runCommand(t, env, "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "rotation complete") || !strings.Contains(stdout, "credentials re-sealed:   24") {
		t.Fatalf("rotate-secret on PostgreSQL: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkAllOpenUnder(t, st, mustKeyring(t, newSecret, ""), allUsers(t, st))
	pw, _ := neturl.Parse(url)
	if p, _ := pw.User.Password(); strings.Contains(stdout+stderr, p) {
		t.Fatalf("rotate-secret's output shows the store's password:\n%s\n%s", stdout, stderr)
	}
}

// openPostgres opens the store in a schema of its own on the test's PostgreSQL server (see
// TestRotateKilledHalfwayAndResumedPostgres), closed when the test ends; url is the store's.
func openPostgres(t *testing.T) (st *postgres.DB, url string) {
	t.Helper()
	url = pgtest.Schema(t, pgtest.ForTest(t))
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, url
}

// TestRestoreDrillOnPostgres is the PostgreSQL guide's restore drill, run as written: a
// pg_dump of the store's schema is restored with pg_restore into a new database, where every
// audit chain verifies and rotate-secret, from the kept secret to a throwaway one, re-seals
// every credential in the copy: each one opened under the secret that was kept.
func TestRestoreDrillOnPostgres(t *testing.T) {
	bin, err := pgtest.Find(os.Getenv(pgtest.EnvBin))
	if err != nil {
		pgtest.Missing(t, err)
	}
	base := pgtest.ForTest(t)
	ctx := context.Background()
	const schema = "launchpad"
	st, err := postgres.Open(ctx, base, postgres.Options{}) // no search_path: the default schema, as in the guide
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kr := mustKeyring(t, oldSecret, "")
	seedUsers(t, st, kr, 40)
	for i := range 30 {
		stream := []string{launchpad.PlatformStream, userID(1), userID(2)}[i%3]
		if _, err := st.AppendAudit(ctx, &launchpad.AuditEvent{Stream: stream, Action: launchpad.AuditKeyMinted, Target: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}

	dump := filepath.Join(t.TempDir(), "launchpad.dump")
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(filepath.Join(bin.Dir, name), args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, base)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE launchpad_drill`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), `DROP DATABASE launchpad_drill WITH (FORCE)`) })
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/launchpad_drill"
	drill := u.String()
	run("pg_restore", "--dbname="+drill, "--no-owner", dump)

	restored, err := postgres.Open(ctx, drill, postgres.Options{})
	if err != nil {
		t.Fatalf("opening the restored copy: %v", err)
	}
	defer restored.Close()
	for _, stream := range []string{launchpad.PlatformStream, userID(1), userID(2)} {
		events, err := restored.ListAudit(ctx, launchpad.AuditFilter{Stream: stream, Limit: 1000})
		if err != nil || len(events) != 10 {
			t.Fatalf("restored stream %s: %d events, %v; want 10", stream, len(events), err)
		}
		if err := launchpad.VerifyChain(nil, events); err != nil {
			t.Fatalf("restored stream %s does not verify: %v", stream, err)
		}
	}
	env := map[string]string{"PLATFORM_SECRET": thirdSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret, "LAUNCHPAD_STORE": drill, "USER": "drill"}
	code, stdout, stderr := runCommand(t, env, "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "credentials re-sealed:   80") || !strings.Contains(stdout, "failed to open:          0") {
		t.Fatalf("rotate-secret of the restored copy to a throwaway secret: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("restore drill: dump, restore, audit chains and every credential checked\n%s", stdout)
}
