package runner

import (
	"slices"
	"testing"
)

// TestProviderEnvCarriesLibpqSettings: with LAUNCHPAD_STORE naming a PostgreSQL server and the
// rest (the password file, the CA) in libpq's variables, the provider that tofu starts gets them
// too, and the password is among the values the job log redacts.
func TestProviderEnvCarriesLibpqSettings(t *testing.T) {
	env := map[string]string{
		"LAUNCHPAD_STORE": "postgres://launchpad@db.internal/launchpad?sslmode=verify-full",
		"PGPASSFILE":      "/etc/launchpad/pgpass", "PGSSLROOTCERT": "/etc/launchpad/ca.pem", "PGPASSWORD": "pw-from-env",
		"PGSOMETHINGELSE": "not libpq's",
	}
	got := ProviderEnvFromEnv(func(k string) string { return env[k] })
	for _, k := range []string{"LAUNCHPAD_STORE", "PGPASSFILE", "PGSSLROOTCERT", "PGPASSWORD"} {
		if got[k] != env[k] {
			t.Errorf("the provider's environment has %s=%q, want %q", k, got[k], env[k])
		}
	}
	if _, ok := got["PGSOMETHINGELSE"]; ok {
		t.Error("a variable libpq does not read reached the provider")
	}
	if !slices.Contains(secretEnvVars, "PGPASSWORD") {
		t.Error("PGPASSWORD is not redacted from job logs")
	}
}
