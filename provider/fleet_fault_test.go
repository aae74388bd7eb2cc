package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// cloudFaults is a bad day at both clouds: a fifth of the requests answered 500, some 429
// with Retry-After, some applied with their answer dropped, and latency on every one.
// `make chaos` applies the same faults to a fleet of 50.
func cloudFaults(seed int64) sim.Faults {
	return sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.05, RetryAfter: time.Second, DropRate: 0.05, Latency: 5 * time.Millisecond, Seed: seed}
}

// TestAccFleet_convergesUnderCloudFaults applies eight tenants with their sub-keys in one
// `tofu apply` while both simulators inject cloudFaults, and requires that one apply to
// succeed — the clients' retries and idempotent creates must absorb the faults, not a second
// run. Then the shared invariants: exactly one app, volume, machine, IP pair, key secret and
// sub-key per tenant and nothing else; no two tenants sharing anything; no secret in the
// state, the audit log or the provider's debug log. The destroy, under the same faults, must
// leave nothing.
func TestAccFleet_convergesUnderCloudFaults(t *testing.T) {
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "DEBUG")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	faults := cloudFaults(11)
	e := newTestEnv(t, sim.FlyOptions{Faults: faults}, sim.OpenRouterOptions{Faults: faults})
	var users []string
	blocks := []string{planBlock("starter", 10, 1, 1024, 5)}
	for i := 1; i <= 8; i++ {
		u := fmt.Sprintf("fault%02d", i)
		users = append(users, u)
		blocks = append(blocks, userBlock(u, u, "starter", "iad"))
	}
	started := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := e.checkNothingLeft(s); err != nil {
				return err
			}
			f, err := invariants.ReadFleet(context.Background(), e.store, e.fly.Sim.Snapshot(), e.or.Sim.Snapshot())
			if err != nil {
				return err
			}
			return f.Empty().Err()
		},
		Steps: []resource.TestStep{{
			Config: e.config(blocks...),
			Check: func(s *terraform.State) error {
				t.Logf("MEASURED one apply of %d tenants under cloud faults: %s", len(users), time.Since(started).Round(time.Millisecond))
				_, flyStats := e.fly.Sim.Faults()
				_, orStats := e.or.Sim.Faults()
				t.Logf("faults injected: fly %+v, openrouter %+v", flyStats, orStats)
				// OpenRouter sees few requests (two or three per key), so a kind of fault is
				// required of the two simulators together.
				if flyStats.Errors+orStats.Errors == 0 || flyStats.RateLimited+orStats.RateLimited == 0 || flyStats.Dropped+orStats.Dropped == 0 {
					return fmt.Errorf("some kind of fault never happened (fly %+v, openrouter %+v), so the test proves less than it says", flyStats, orStats)
				}
				return e.checkFleetInvariants(t, s, users, logDir)
			},
		}},
	})
}

// checkFleetInvariants runs the shared invariants over the simulators, the store, the state
// and the provider's logs.
func (e *testEnv) checkFleetInvariants(t *testing.T, s *terraform.State, users []string, logDir string) error {
	ctx := context.Background()
	f, err := invariants.ReadFleet(ctx, e.store, e.fly.Sim.Snapshot(), e.or.Sim.Snapshot())
	if err != nil {
		return err
	}
	secrets, err := invariants.SealedSecrets(ctx, e.store, e.keyring)
	if err != nil {
		return err
	}
	if len(secrets) != len(users) {
		return fmt.Errorf("%d sealed keys in the store, want one per user (%d)", len(secrets), len(users))
	}
	secrets = append(secrets,
		invariants.Secret{What: "the platform secret", Value: testSecret},
		invariants.Secret{What: "the Fly API token", Value: e.fly.Token},
		invariants.Secret{What: "the OpenRouter management key", Value: e.or.ManagementKey})
	state, err := json.Marshal(s)
	if err != nil {
		return err
	}
	hay := []invariants.Haystack{{What: "Terraform state", Data: state}}
	audit, err := invariants.AuditHaystacks(ctx, e.store)
	if err != nil {
		return err
	}
	hay = append(hay, audit...)
	logs, err := filepath.Glob(filepath.Join(logDir, "*.log"))
	if err != nil || len(logs) == 0 {
		return fmt.Errorf("no provider log in %s (%v): TF_LOG_PATH_MASK was not honoured", logDir, err)
	}
	files, err := invariants.FileHaystacks(logs...)
	if err != nil {
		return err
	}
	hay = append(hay, files...)
	if fi, err := os.Stat(logs[0]); err == nil {
		t.Logf("looked for %d secrets in the state, %d audit streams and %d logs (%d bytes in the first)", len(secrets), len(audit), len(files), fi.Size())
	}
	results := []invariants.Result{f.OneEach(users), f.Isolated(), invariants.NoSecrets(secrets, hay)}
	for _, r := range results {
		t.Log(r.String())
	}
	return invariants.Join(results...)
}
