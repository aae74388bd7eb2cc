package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// withBatchReads sets openrouter.batch_reads in a configuration made by e.config.
func withBatchReads(config string, on bool) string {
	setting := "false"
	if on {
		setting = "true"
	}
	return strings.Replace(config, "openrouter = {", "openrouter = {\n    batch_reads = "+setting, 1)
}

// TestAccSubKey_driftOutsideTerraformIsDetected changes and then deletes the sub-key at
// OpenRouter behind Terraform's back, with reads batched through one listing and without:
// either way the next plan shows the changed limit as an update, and the deleted key as a key
// to create.
func TestAccSubKey_driftOutsideTerraformIsDetected(t *testing.T) {
	for _, batch := range []bool{true, false} {
		name := "batch_reads=false"
		if batch {
			name = "batch_reads=true"
		}
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
			config := withBatchReads(tenantConfig(e, "starter"), batch)
			var hash string
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories,
				CheckDestroy:             e.checkNothingLeft,
				Steps: []resource.TestStep{
					{
						Config: config,
						Check:  keep("launchpad_subkey.alice", "id", &hash),
					},
					{
						// The limit is raised at OpenRouter: the plan puts it back in place.
						PreConfig: func() {
							limit := 99.0
							if _, err := e.issuer.UpdateKey(context.Background(), hash, launchpad.KeyUpdate{LimitUSD: &limit}); err != nil {
								t.Fatalf("change the key out of band: %v", err)
							}
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionUpdate),
							// The plan shows the limit it puts back, not "(known after apply)".
							plancheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(10)),
						}},
						Check: e.checkKeyLimit("launchpad_subkey.alice", 10),
					},
					{
						// The key is deleted at OpenRouter: it leaves the state, the plan creates
						// one, and the apply mints it and hands it to the tenant.
						PreConfig: func() {
							if err := e.issuer.DeleteKey(context.Background(), hash); err != nil {
								t.Fatalf("delete the key out of band: %v", err)
							}
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionCreate),
							plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
						}},
						Check: resource.ComposeAggregateTestCheckFunc(
							e.checkTenantHoldsUserKey("alice01"),
							e.checkKeyLimit("launchpad_subkey.alice", 10),
						),
					},
				},
			})
		})
	}
}

// TestAccTenant_volumeDeletedOutsideTerraformIsRebuilt deletes the tenant's volume (and so
// its machine, which mounts it) inside the app: the app stays, and the plan builds both again
// in place rather than dropping the tenant.
func TestAccTenant_volumeDeletedOutsideTerraformIsRebuilt(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var appName, machineID, volumeID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter"),
				Check: func(s *terraform.State) error {
					a := s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes
					appName, machineID, volumeID = a["app_name"], a["machine_id"], a["volume_id"]
					return nil
				},
			},
			{
				PreConfig: func() {
					ctx := context.Background()
					if err := e.runtime.DestroyMachine(ctx, appName, machineID, true); err != nil {
						t.Fatalf("destroy the machine out of band: %v", err)
					}
					// Fly keeps the volume attached until the machine is destroyed.
					if err := e.runtime.WaitMachine(ctx, appName, machineID, launchpad.MachineDestroyed, time.Minute); err != nil {
						t.Fatalf("wait for the machine to be destroyed: %v", err)
					}
					if err := e.runtime.DeleteVolume(ctx, appName, volumeID); err != nil {
						t.Fatalf("delete the volume out of band: %v", err)
					}
				},
				Config: tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("volume_id")),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("machine_id")),
					plancheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("app_name"), knownvalue.NotNull()),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("launchpad_tenant.alice", "app_name", &appName),
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
				),
			},
		},
	})
}
