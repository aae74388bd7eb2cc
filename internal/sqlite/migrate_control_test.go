package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// TestMigrationAddsTenantControlToExistingUsers upgrades a file written at schema version 2
// (before users had control_doc): its users read as nothing asked of their tenant yet, and the
// generations can then be stored on them.
func TestMigrationAddsTenantControlToExistingUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	raw := rawDB(t, path)
	for _, name := range []string{"0001_init.sql", "0002_subkey_key_id_derived.sql"} {
		script, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(script)); err != nil {
			t.Fatalf("applying %s by hand: %v", name, err)
		}
	}
	if _, err := raw.Exec(`PRAGMA user_version = 2; PRAGMA application_id = 1280328004;
		INSERT INTO users (id, email, plan_name, openrouter_key, openrouter_key_hash, byok_key, stripe_customer_id,
			subscription, usage_doc, mfa_sealed_secret, mfa, created_at, updated_at)
		VALUES ('old1', 'old1@example.com', 'pro', '', 'orhash-old1', '', '', '{"status":"active"}', '{"machine_seconds":60}', '', '{}', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("opening a version-2 file: %v", err)
	}
	defer db.Close()
	if got, want := pragma(t, rawDB(t, path), "user_version"), schemaVersion(t); got != want {
		t.Fatalf("user_version after the upgrade = %s, want %s", got, want)
	}
	u, err := db.GetUser(t.Context(), "old1")
	if err != nil {
		t.Fatalf("reading a user written before the migration: %v", err)
	}
	if u.Control != (launchpad.TenantControl{}) || u.Usage.MachineSeconds != 60 || u.Subscription.Status != "active" {
		t.Fatalf("user after the upgrade: control %+v, usage %+v, subscription %q", u.Control, u.Usage, u.Subscription.Status)
	}
	u, err = db.UpdateUser(t.Context(), "old1", func(u *launchpad.User) error {
		u.Control.KeyRotationGeneration, u.Control.RebuildGeneration = 1, 1
		return nil
	})
	if err != nil || u.Control.KeyRotationGeneration != 1 || u.Control.RebuildGeneration != 1 {
		t.Fatalf("bumping the generations of an upgraded user: %+v, %v", u, err)
	}
}
