package benchmark

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// TestJobClaimOnEachStore runs job_claim at a tiny size on SQLite and on PostgreSQL (a server
// the test starts) and checks its figures; the figure itself fails unless every job was
// claimed exactly once across the replicas.
func TestJobClaimOnEachStore(t *testing.T) {
	stores := &Stores{Dir: t.TempDir(), Log: stacktest.Logger(t), PostgresURL: pgtest.ForTest(t)}
	defer stores.Close()
	env := &Env{WorkDir: t.TempDir(), Log: stores.Log, Stores: stores}
	for _, store := range []string{StoreSQLite, StorePostgres, StorePostgresAsync} {
		got := emitted(t, env, JobClaim(ClaimOptions{Store: store, Jobs: 60, Replicas: 2, Workers: 3, Runs: 2}))
		for _, r := range got {
			if r.Value <= 0 || r.Details["store"] != store {
				t.Errorf("%s: %+v", r.Name, r)
			}
		}
		want := "job_claim" + storeSuffix(store)
		if names := figureNames(got); names != want+" "+want+"_p50 "+want+"_p99" {
			t.Fatalf("figures %s, want %s and its latencies", names, want)
		}
		if got[0].Unit != "jobs/s" || len(got[0].Details["per_run_jobs_per_s"].([]float64)) != 2 {
			t.Errorf("%s = %+v", want, got[0])
		}
	}
}
