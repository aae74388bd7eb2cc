package rotation

import (
	"context"
	neturl "net/url"
	"strings"
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

// TestCommandOnPostgres: rotate-secret with LAUNCHPAD_STORE set to a PostgreSQL URL re-seals
// every credential there, and its output never shows the URL's password.
func TestCommandOnPostgres(t *testing.T) {
	url := pgtest.Schema(t, pgtest.ForTest(t))
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seedUsers(t, st, mustKeyring(t, oldSecret, ""), 12)
	env := map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret, "LAUNCHPAD_STORE": url, "USER": "alice"}
	code, stdout, stderr := runCommand(t, env, "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "rotation complete") || !strings.Contains(stdout, "credentials re-sealed:   24") {
		t.Fatalf("rotate-secret on PostgreSQL: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkAllOpenUnder(t, mustKeyring(t, newSecret, ""), allUsers(t, st))
	pw, _ := neturl.Parse(url)
	if p, _ := pw.User.Password(); strings.Contains(stdout+stderr, p) {
		t.Fatalf("rotate-secret's output shows the store's password:\n%s\n%s", stdout, stderr)
	}
}
