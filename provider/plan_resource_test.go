package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

func TestAccPlan_lifecycle(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNoPlans,
		Steps: []resource.TestStep{
			{
				Config: e.config(planBlock("pro", 50, 2, 2048, 10)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_plan.pro", tfjsonpath.New("id"), knownvalue.StringExact("pro")),
					statecheck.ExpectKnownValue("launchpad_plan.pro", tfjsonpath.New("display_name"), knownvalue.StringExact("pro")),
					statecheck.ExpectKnownValue("launchpad_plan.pro", tfjsonpath.New("allow_pooled_key"), knownvalue.Bool(false)),
				},
				Check: e.checkPlan("pro", 50, 2048, 10),
			},
			{
				Config: e.config(planBlock("pro", 75, 2, 4096, 20)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_plan.pro", plancheck.ResourceActionUpdate),
				}},
				Check: e.checkPlan("pro", 75, 4096, 20),
			},
			{
				ResourceName:      "launchpad_plan.pro",
				ImportState:       true,
				ImportStateId:     "pro",
				ImportStateVerify: true,
			},
			{
				// The same through an import block: the plan imports with no change.
				ResourceName:    "launchpad_plan.pro",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "pro",
			},
		},
	})
}

func TestAccPlan_rejectsBadInputNamingTheAttribute(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	// plan is a launchpad_plan block named name, with extra lines, the limit and the memory.
	plan := func(name, extra, limit string, memoryMB int) string {
		return fmt.Sprintf(`resource "launchpad_plan" "x" {
  name = %q%s
  monthly_spend_limit_usd = %s
  machine_hours_per_cycle = 10
  volume_size_gb = 1
  guest = { cpu_kind = "shared", cpus = 1, memory_mb = %d }
}`, name, extra, limit, memoryMB)
	}
	cases := map[string]struct{ block, attr, want string }{
		"name":  {plan("Pro Plan", "", "5", 256), "name", "1-40 lower-case letters"},
		"guest": {plan("big", "", "5", 8192), "guest", "memory_mb must be a multiple of 256 between 256 and 2048"},
		"trial": {plan("trial", "", "5", 256), "name", "built-in plan"},
		"price": {plan("p", "\n  stripe_price_id = \"prod_123\"", "5", 256), "stripe_price_id", "price_1NxYzAbC"},
		"limit": {plan("p", "", "-1", 256), "monthly_spend_limit_usd", "between 0"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories,
				Steps: []resource.TestStep{{
					Config:      e.config(c.block),
					ExpectError: attributeError(c.attr, c.want),
				}},
			})
		})
	}
}

func TestAccPlan_stripePriceUnique(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNoPlans,
		Steps: []resource.TestStep{{
			Config: e.config(`
resource "launchpad_plan" "a" {
  name = "a"
  stripe_price_id = "price_Same"
  monthly_spend_limit_usd = 5
  machine_hours_per_cycle = 10
  volume_size_gb = 1
  guest = { cpu_kind = "shared", cpus = 1, memory_mb = 256 }
}
resource "launchpad_plan" "b" {
  name = "b"
  stripe_price_id = launchpad_plan.a.stripe_price_id
  monthly_spend_limit_usd = 5
  machine_hours_per_cycle = 10
  volume_size_gb = 1
  guest = { cpu_kind = "shared", cpus = 1, memory_mb = 256 }
}`),
			ExpectError: regexp.MustCompile(`(?i)price_Same`),
		}},
	})
}

func (e *testEnv) checkPlan(name string, limit float64, memory, volume int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		p, err := e.store.GetPlan(context.Background(), name)
		if err != nil {
			return err
		}
		if p.MonthlySpendLimitUSD != limit || p.Guest.MemoryMB != memory || p.VolumeSizeGB != volume {
			return fmt.Errorf("stored plan %s = %+v, want limit %g, memory %d, volume %d", name, p, limit, memory, volume)
		}
		return nil
	}
}

func (e *testEnv) checkNoPlans(*terraform.State) error {
	plans, err := e.store.ListPlans(context.Background())
	if err != nil {
		return err
	}
	if len(plans) > 0 {
		return fmt.Errorf("%d plans left in the store after destroy, first %q", len(plans), plans[0].Name)
	}
	return nil
}
