package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestAccTenant_droppedResponsesMakeNoDuplicates applies three tenants while both
// simulators drop a fifth of their answers after applying the change — the case that makes
// careless clients create twice — and checks the simulators hold exactly one of everything.
func TestAccTenant_droppedResponsesMakeNoDuplicates(t *testing.T) {
	faults := sim.Faults{DropRate: 0.2, Seed: 7}
	e := newTestEnv(t, sim.FlyOptions{Faults: faults}, sim.OpenRouterOptions{Faults: faults})
	users := []string{"alice01", "bob02", "carol03"}
	var blocks []string
	blocks = append(blocks, planBlock("starter", 10, 1, 1024, 5))
	for _, u := range users {
		blocks = append(blocks, userBlock(u, u, "starter", "iad"))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config: e.config(blocks...),
			Check: func(*terraform.State) error {
				_, flyStats := e.fly.Sim.Faults()
				_, orStats := e.or.Sim.Faults()
				if flyStats.Dropped == 0 || orStats.Dropped == 0 {
					return fmt.Errorf("no response was dropped (fly %+v, openrouter %+v): the test proves nothing", flyStats, orStats)
				}
				t.Logf("dropped responses: fly %d, openrouter %d", flyStats.Dropped, orStats.Dropped)
				return e.checkOneOfEverything(users)
			},
		}},
	})
}

// checkOneOfEverything asserts, with the invariants make chaos checks too, that the
// simulators hold exactly one app, volume, live machine, IP pair, key secret and key per user,
// and nothing else.
func (e *testEnv) checkOneOfEverything(users []string) error {
	f, err := invariants.ReadFleet(context.Background(), e.store, e.fly.Sim.Snapshot(), e.or.Sim.Snapshot())
	if err != nil {
		return err
	}
	return f.OneEach(users).Err()
}
