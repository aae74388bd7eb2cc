package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

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
		blocks = append(blocks, fmt.Sprintf(`
resource "launchpad_subkey" %[1]q {
  user_id = %[1]q
  plan    = launchpad_plan.starter.name
}
resource "launchpad_tenant" %[1]q {
  user_id     = %[1]q
  product     = "hermes"
  region      = "iad"
  plan        = launchpad_plan.starter.name
  image       = %[2]q
  subkey_hash = launchpad_subkey.%[1]s.hash
}`, u, testImage))
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

// checkOneOfEverything asserts the simulators hold exactly one app, volume, live machine,
// IP pair and key per user, and nothing else.
func (e *testEnv) checkOneOfEverything(users []string) error {
	apps := e.fly.Sim.Snapshot().Apps
	if len(apps) != len(users) {
		return fmt.Errorf("%d apps at Fly, want %d", len(apps), len(users))
	}
	for _, a := range apps {
		live := 0
		for _, m := range a.Machines {
			if m.State != "destroyed" {
				live++
			}
		}
		if len(a.Volumes) != 1 || live != 1 || len(a.IPs) != 2 || len(a.Secrets) != 1 {
			return fmt.Errorf("app %s: %d volumes, %d live machines, %d IPs, %d secrets; want 1, 1, 2, 1", a.Name, len(a.Volumes), live, len(a.IPs), len(a.Secrets))
		}
	}
	keys := e.or.Sim.Snapshot().Keys
	if len(keys) != len(users) {
		var names []string
		for _, k := range keys {
			names = append(names, k.Name)
		}
		return fmt.Errorf("%d keys at OpenRouter, want %d: %s", len(keys), len(users), strings.Join(names, ", "))
	}
	return nil
}
