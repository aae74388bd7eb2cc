package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestAccTenant_resetGivesAnEmptyVolume: bumping reset_generation plans a new volume and a
// new machine (with a warning), and the apply leaves the tenant on a new, empty volume, with
// the old one kept at Fly as a snapshot for the tenant's workspace retention.
func TestAccTenant_resetGivesAnEmptyVolume(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var appName, firstVolume, firstMachine string
	retained := func(cfg string) string {
		return strings.Replace(cfg, "subkey_hash = launchpad_subkey.alice.hash",
			"subkey_hash = launchpad_subkey.alice.hash\n  workspace_retention_days = 9", 1)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{
				Config: retained(tenantConfig(e, "starter")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("reset_generation"), knownvalue.Int64Exact(0)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					keep("launchpad_tenant.alice", "app_name", &appName),
					keep("launchpad_tenant.alice", "volume_id", &firstVolume),
					keep("launchpad_tenant.alice", "machine_id", &firstMachine),
				),
			},
			{
				Config: strings.Replace(retained(tenantConfig(e, "starter")), "workspace_retention_days = 9",
					"workspace_retention_days = 9\n  reset_generation = 1", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("volume_id")),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("machine_id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("reset_generation"), knownvalue.Int64Exact(1)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
					func(s *terraform.State) error { return e.checkReset(s, appName, firstVolume, firstMachine, 9) },
				),
			},
		},
	})
}

// checkReset checks at the simulator that the tenant left its first volume for a new,
// empty one, that the first is kept as a snapshot for days, and that the store's record and
// the user's audit stream say so.
func (e *testEnv) checkReset(s *terraform.State, appName, oldVolume, oldMachine string, days int) error {
	at := s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes
	if at["volume_id"] == oldVolume || at["machine_id"] == oldMachine {
		return fmt.Errorf("volume %s machine %s after the reset, want new ones (were %s, %s)", at["volume_id"], at["machine_id"], oldVolume, oldMachine)
	}
	app, err := e.flyApp(appName)
	if err != nil {
		return err
	}
	live := app.LiveVolumes()
	if len(live) != 1 || live[0].ID != at["volume_id"] || live[0].RestoredFrom != "" {
		return fmt.Errorf("live volumes %+v, want only the new empty %s", live, at["volume_id"])
	}
	var snap *sim.VolumeBackupSnapshot
	for i, b := range app.VolumeBackups {
		if b.VolumeID == oldVolume && b.RetentionDays == days {
			snap = &app.VolumeBackups[i]
		}
	}
	if snap == nil {
		return fmt.Errorf("no snapshot of %s kept %d days among %+v", oldVolume, days, app.VolumeBackups)
	}
	ctx := context.Background()
	if rec, err := e.store.GetTenant(ctx, appName); err != nil || rec.ResetGeneration != 1 || rec.VolumeID != at["volume_id"] {
		return fmt.Errorf("store record %+v (%v), want reset generation 1 on volume %s", rec, err, at["volume_id"])
	}
	evs, err := e.store.ListAudit(ctx, launchpad.AuditFilter{Stream: "alice01", Limit: 1000})
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.Action == launchpad.AuditTenantReset && ev.Details["snapshot"] == snap.ID && ev.Details["previous_volume"] == oldVolume {
			return nil
		}
	}
	return fmt.Errorf("no %s audit event naming snapshot %s of %s", launchpad.AuditTenantReset, snap.ID, oldVolume)
}
