package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

const testImage = "registry.fly.io/hermes-agent:1.4.2"

// tenantConfig is two plans, a sub-key and a tenant for user alice01 on plan.
func tenantConfig(e *testEnv, plan string, extra ...string) string {
	return e.config(append([]string{
		planBlock("starter", 10, 1, 1024, 5),
		planBlock("pro", 50, 2, 4096, 20),
		userBlock("alice", "alice01", plan, "iad"),
	}, extra...)...)
}

func TestAccTenant_lifecycle(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var appName, keyHash, firstMachine string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				// Create: the whole boundary, sized by the starter plan, keyed by the sub-key.
				Config: tenantConfig(e, "starter"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("key_source"), knownvalue.StringExact("subkey")),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("machine_cpus"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("machine_memory_mb"), knownvalue.Int64Exact(1024)),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("volume_size_gb"), knownvalue.Int64Exact(5)),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("machine_state"), knownvalue.StringExact("started")),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("byok_key_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(10)),
					statecheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_reset"), knownvalue.StringExact("monthly")),
					statecheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("include_byok_in_limit"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("key_id"), knownvalue.StringExact(e.keyring.CurrentKeyID())),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestMatchResourceAttr("launchpad_tenant.alice", "app_name", regexp.MustCompile(`^lp-hermes-alice01-[a-z0-9]+$`)),
					func(s *terraform.State) error {
						appName = s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes["app_name"]
						keyHash = s.RootModule().Resources["launchpad_subkey.alice"].Primary.ID
						firstMachine = s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes["machine_id"]
						return nil
					},
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
					e.checkKeyLimit("launchpad_subkey.alice", 10),
					e.checkStoredTenant("launchpad_tenant.alice"),
				),
			},
			{
				// Plan change: in place, never a replacement; the key keeps its hash.
				Config: tenantConfig(e, "pro"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("machine_cpus"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("volume_size_gb"), knownvalue.Int64Exact(20)),
					statecheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(50)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("launchpad_subkey.alice", "hash", &keyHash),
					resource.TestCheckResourceAttrPtr("launchpad_tenant.alice", "app_name", &appName),
					resource.TestCheckResourceAttrPtr("launchpad_tenant.alice", "machine_id", &firstMachine),
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}, 20),
					e.checkKeyLimit("launchpad_subkey.alice", 50),
				),
			},
			{
				// Back to the smaller plan: the machine shrinks, the volume never does.
				Config: tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
				}},
				Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 20),
			},
			{
				// Drift: the machine is destroyed outside Terraform. The plan shows an update
				// that builds a new machine on the same volume.
				PreConfig: func() {
					if err := e.runtime.DestroyMachine(context.Background(), appName, firstMachine, true); err != nil {
						t.Fatalf("destroy machine out of band: %v", err)
					}
				},
				Config: tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("machine_id")),
				}},
				Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 20),
			},
			{
				// Drift: the machine is resized outside Terraform; the plan puts it back.
				PreConfig: func() { e.resizeOutOfBand(appName, 4, 8192) },
				Config:    tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
				}},
				Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 20),
			},
			{
				// Rebuild: a new machine from a clean image, the same volume.
				Config: strings.Replace(tenantConfig(e, "starter"), "subkey_hash = launchpad_subkey.alice.hash",
					"subkey_hash = launchpad_subkey.alice.hash\n  rebuild_generation = 1", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("launchpad_tenant.alice", tfjsonpath.New("machine_id")),
					plancheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("volume_id"), knownvalue.NotNull()),
				}},
				Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 20),
			},
			{
				ResourceName:      "launchpad_tenant.alice",
				ImportState:       true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return appName, nil },
				ImportStateVerify: true,
			},
			{
				ResourceName:      "launchpad_subkey.alice",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:      "launchpad_tenant.alice",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return appName, nil },
			},
		},
	})
}

// TestAccTenant_volumeGrowthReachesTheMachine: a plan with a bigger volume and the same
// machine size. Fly extends a mounted volume at once but answers needs_restart: the running
// machine sees the added space only once it boots again, so the same apply restarts it.
func TestAccTenant_volumeGrowthReachesTheMachine(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	roomy := planBlock("roomy", 10, 1, 1024, 12) // starter's machine, a 12 GB volume
	var machine string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter", roomy),
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
					func(s *terraform.State) error {
						machine = s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes["machine_id"]
						return nil
					},
				),
			},
			{
				Config: tenantConfig(e, "roomy", roomy),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("volume_size_gb"), knownvalue.Int64Exact(12)),
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("machine_state"), knownvalue.StringExact("started")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("launchpad_tenant.alice", "machine_id", &machine),
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 12),
				),
			},
		},
	})
}

func TestAccTenant_appDeletedOutsideTerraformIsRecreated(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var appName string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter"),
				Check:  keep("launchpad_tenant.alice", "id", &appName),
			},
			{
				PreConfig: func() {
					tn := &launchpad.Tenant{AppName: appName}
					if err := tenant.NewService(tenant.Config{Runtime: e.runtime}).Teardown(context.Background(), tn); err != nil {
						t.Fatalf("delete app out of band: %v", err)
					}
				},
				Config: tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionCreate),
				}},
				Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
			},
		},
	})
}

func TestAccTenant_secondTenantForSameUserAndProductIsRefused(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: tenantConfig(e, "starter")},
			{
				Config: tenantConfig(e, "starter", fmt.Sprintf(`
resource "launchpad_tenant" "again" {
  user_id     = "alice01"
  product     = "hermes"
  region      = "iad"
  plan        = launchpad_plan.starter.name
  image       = %q
  subkey_hash = launchpad_subkey.alice.hash
}`, testImage)),
				ExpectError: attributeError("product", "already has a hermes tenant"),
			},
		},
	})
}

func TestAccTenant_paidPlanRefusesPooledKey(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	cfg := strings.Replace(e.providerBlock(), "base_url       =", "pooled_key = \"sk-pooled-test\"\n    base_url       =", 1) +
		planBlock("pro", 50, 2, 4096, 20) + fmt.Sprintf(`
resource "launchpad_tenant" "bob" {
  user_id = "bob02"
  product = "hermes"
  region  = "iad"
  plan    = launchpad_plan.pro.name
  image   = %q
}`, testImage)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)plan "pro" is paid.*allow_pooled_key`),
		}},
	})
}

func TestAccTenant_missingFlySettingsNameTheAttributeAndVariable(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	t.Setenv("FLY_API_TOKEN", "")
	cfg := strings.Replace(tenantConfig(e, "starter"), fmt.Sprintf("api_token = %q", e.fly.Token), "", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)launchpad_tenant: .*fly.api_token.*FLY_API_TOKEN`),
		}},
	})
}

func TestAccTenant_rejectsBadInputNamingTheAttribute(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	tenant := func(user, product, region string) string {
		return fmt.Sprintf(`
resource "launchpad_tenant" "x" {
  user_id = %q
  product = %q
  region  = %q
  plan    = "starter"
  image   = "img"
}`, user, product, region)
	}
	cases := map[string]struct{ block, want string }{
		"user_id": {tenant("../etc", "hermes", "iad"), "letters, digits"},
		"product": {tenant("alice01", "Hermes-2", "iad"), "lower-case letters and digits"},
		"region":  {tenant("alice01", "hermes", "us-east"), "three lower-case letters"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories,
				Steps:                    []resource.TestStep{{Config: e.config(c.block), ExpectError: attributeError(name, c.want)}},
			})
		})
	}
}

// TestAccTenant_interruptedCreateIsResumed plays the aftermath of a create killed half-way —
// the store holds the claimed name, Fly holds the app, an IP and the volume, Terraform's state
// holds nothing — and expects the next apply to finish that tenant, not to start another.
func TestAccTenant_interruptedCreateIsResumed(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	ctx := context.Background()
	const app = "lp-hermes-alice01-t0abc1"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				// The plans and sub-key first, so the interrupted create can be staged.
				Config: e.config(planBlock("starter", 10, 1, 1024, 5), planBlock("pro", 50, 2, 4096, 20), `
resource "launchpad_subkey" "alice" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
}`),
			},
			{
				PreConfig: func() {
					rec := &launchpad.Tenant{AppName: app, UserID: "alice01", Product: "hermes", Region: "iad", Plan: "starter", Image: testImage, Network: app}
					if err := e.store.CreateTenant(ctx, rec); err != nil {
						t.Fatal(err)
					}
					if _, err := e.runtime.CreateApp(ctx, launchpad.AppSpec{Name: app, Org: "acme", Network: app}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.runtime.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv4}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.runtime.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "iad", SizeGB: 5, Encrypted: true}); err != nil {
						t.Fatal(err)
					}
				},
				Config: tenantConfig(e, "starter"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("app_name"), knownvalue.StringExact(app)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error { return e.checkOneOfEverything([]string{"alice01"}) },
					e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
				),
			},
		},
	})
}

// TestAccTenant_takenAppNameMovesToTheNextSecond: app names are global at Fly, so the name
// of this second may belong to someone else (another org, or a user whose id starts alike).
// Fly answers a read of another organization's app 403 "unauthorized", and a create that
// collides 422 "uniqueness constraint violated"; the provider takes the next second's name
// either way, in the same apply.
func TestAccTenant_takenAppNameMovesToTheNextSecond(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		name, err := launchpad.AppName("hermes", "alice01", now.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.fly.Sim.CreateForeignApp(name, "someone-else"); err != nil {
			t.Fatal(err)
		}
	}
	// The third second's name is free when read, and taken by the time it is created.
	e.fly.Sim.ScriptFaults("POST /v1/apps", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 422, Body: `{"error":"uniqueness constraint violated"}`})
	want, _ := launchpad.AppName("hermes", "alice01", now.Add(3*time.Second))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"launchpad": providerserver.NewProtocol6WithError(newWithClock("test", func() time.Time { return now })()),
		},
		Steps: []resource.TestStep{{
			Config: tenantConfig(e, "starter"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("launchpad_tenant.alice", tfjsonpath.New("app_name"), knownvalue.StringExact(want)),
			},
			Check: e.checkBoundary("launchpad_tenant.alice", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}, 5),
		}},
	})
}

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
