package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/rotation"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// What an operator running terraform apply relies on (issue 17): one apply converges, nothing
// is destroyed that cannot be rebuilt, errors come at plan time.

const otherSecret = "a-different-shells-random-platform-secret-0123456789"

// withSecret swaps the provider block's platform secret (and sets a previous one if given).
func withSecret(config, secret, previous string) string {
	out := strings.Replace(config, fmt.Sprintf("platform_secret = %q", testSecret), fmt.Sprintf("platform_secret = %q", secret), 1)
	if previous != "" {
		out = strings.Replace(out, fmt.Sprintf("platform_secret = %q", secret),
			fmt.Sprintf("platform_secret = %q\n  platform_secret_previous = %q", secret, previous), 1)
	}
	return out
}

// fleetConfig is the plans and, for each user, a sub-key and a tenant in region on plan.
func fleetConfig(e *testEnv, plans []string, plan, region string, users ...string) string {
	blocks := append([]string(nil), plans...)
	for i, u := range users {
		blocks = append(blocks, userBlock(fmt.Sprintf("u%d", i), u, plan, region))
	}
	return e.config(blocks...)
}

// snapshotApps is what the Fly simulator holds now, by app name: its volumes and machines.
func (e *testEnv) snapshotApps() map[string]string {
	out := map[string]string{}
	for _, a := range e.fly.Sim.Snapshot().Apps {
		var parts []string
		for _, v := range a.LiveVolumes() {
			parts = append(parts, v.ID)
		}
		for _, m := range a.Machines {
			parts = append(parts, m.ID+":"+m.State)
		}
		out[a.Name] = strings.Join(parts, ",")
	}
	return out
}

func (e *testEnv) sameApps(before map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		after := e.snapshotApps()
		if fmt.Sprint(after) != fmt.Sprint(before) {
			return fmt.Errorf("Fly changed: before %v, after %v", before, after)
		}
		return nil
	}
}

// Done when: a different PLATFORM_SECRET with a region change fails at plan time and
// destroys nothing.
func TestAccOperator_anotherSecretFailsAtPlanAndDestroysNothing(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	plans := []string{planBlock("starter", 10, 1, 1024, 5)}
	users := []string{"alice01", "bob02", "carol03"}
	var before map[string]string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: fleetConfig(e, plans, "starter", "iad", users...),
				Check:  func(*terraform.State) error { before = e.snapshotApps(); return nil },
			},
			{
				// A new shell: another random secret, and a region change that replaces all three.
				Config:      withSecret(fleetConfig(e, plans, "starter", "ams", users...), otherSecret, ""),
				ExpectError: regexp.MustCompile(`(?s)Platform secret is not the store's.*PLATFORM_SECRET`),
			},
			{
				// Nothing was destroyed: the same apps, volumes and machines, and a clean plan.
				Config:             fleetConfig(e, plans, "starter", "iad", users...),
				PlanOnly:           true,
				ExpectNonEmptyPlan: false,
			},
			{
				Config: fleetConfig(e, plans, "starter", "iad", users...),
				Check:  func(s *terraform.State) error { return e.sameApps(before)(s) },
			},
		},
	})
}

// Done when: after rotate-secret, an apply with only the old secret fails and seals nothing.
func TestAccOperator_retiredSecretFailsAfterRotation(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	plans := []string{planBlock("starter", 10, 1, 1024, 5)}
	newSecret := "the-rotated-platform-secret-of-this-store-0123456789"
	rotate := func() {
		kr, err := envelope.NewKeyring(newSecret, testSecret)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rotation.Rotate(context.Background(), e.store, kr, rotation.Options{})
		if err != nil || !res.Activated {
			t.Fatalf("rotate-secret: %+v, %v", res, err)
		}
	}
	keysAtOpenRouter := 0
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: fleetConfig(e, plans, "starter", "iad", "alice01")},
			{
				// rotate-secret ran; a process with only the old secret adds bob.
				PreConfig: func() {
					rotate()
					keysAtOpenRouter = len(e.or.Sim.Snapshot().Keys)
				},
				Config:      fleetConfig(e, plans, "starter", "iad", "alice01", "bob02"),
				ExpectError: regexp.MustCompile(`(?s)Platform secret is not the store's.*retired`),
			},
			{
				// Nothing was minted or sealed under the retired key.
				PreConfig: func() {
					if n := len(e.or.Sim.Snapshot().Keys); n != keysAtOpenRouter {
						t.Errorf("%d keys at OpenRouter, want %d: a key was minted with the retired secret", n, keysAtOpenRouter)
					}
					if _, err := e.store.GetUser(context.Background(), "bob02"); !launchpad.IsNotFound(err) {
						t.Errorf("bob02's record: %v, want none: something was sealed with the retired secret", err)
					}
				},
				// With the new secret alone it works; alice's key is read as re-sealed.
				Config: withSecret(fleetConfig(e, plans, "starter", "iad", "alice01", "bob02"), newSecret, ""),
				Check: func(s *terraform.State) error {
					kr, _ := envelope.NewKeyring(newSecret, "")
					for _, addr := range []string{"launchpad_subkey.u0", "launchpad_subkey.u1"} {
						if got := s.RootModule().Resources[addr].Primary.Attributes["key_id"]; got != kr.CurrentKeyID() {
							return fmt.Errorf("%s key_id %s, want the new key %s", addr, got, kr.CurrentKeyID())
						}
					}
					return nil
				},
			},
		},
	})
}

// Done when: a plan's limit and memory change reach every key and machine in one apply (the
// next plan is empty: terraform-plugin-testing fails a step whose follow-up plan is not).
func TestAccOperator_planEditConvergesInOneApply(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	before := []string{planBlock("pro", 50, 2, 2048, 10)}
	after := []string{planBlock("pro", 75, 2, 4096, 10)}
	users := []string{"alice01", "bob02"}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: fleetConfig(e, before, "pro", "iad", users...)},
			{
				Config: fleetConfig(e, after, "pro", "iad", users...),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_plan.pro", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_subkey.u0", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_subkey.u1", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_tenant.u0", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_tenant.u1", plancheck.ResourceActionUpdate),
					// The plan says what will happen, in numbers.
					plancheck.ExpectKnownValue("launchpad_subkey.u0", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(75)),
					plancheck.ExpectKnownValue("launchpad_tenant.u1", tfjsonpath.New("machine_memory_mb"), knownvalue.Int64Exact(4096)),
					plancheck.ExpectKnownValue("launchpad_tenant.u1", tfjsonpath.New("machine_id"), knownvalue.NotNull()),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkKeyLimit("launchpad_subkey.u0", 75),
					e.checkKeyLimit("launchpad_subkey.u1", 75),
					e.checkBoundary("launchpad_tenant.u0", launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}, 10),
					e.checkBoundary("launchpad_tenant.u1", launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}, 10),
				),
			},
		},
	})
}

// Done when: three users whose uid8 collide are created in one apply.
func TestAccOperator_usersSharingAUID8AreCreatedInOneApply(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	users := []string{"Dora0101a", "dora0101b", "DORA0101c"}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config: fleetConfig(e, []string{planBlock("starter", 10, 1, 1024, 5)}, "starter", "iad", users...),
			Check: func(s *terraform.State) error {
				seen := map[string]bool{}
				for i := range users {
					name := s.RootModule().Resources[fmt.Sprintf("launchpad_tenant.u%d", i)].Primary.Attributes["app_name"]
					if seen[name] || !strings.HasPrefix(name, "lp-hermes-dora0101-") {
						return fmt.Errorf("tenant %d is %s; want its own lp-hermes-dora0101-… name", i, name)
					}
					seen[name] = true
				}
				return e.checkOneOfEverything(users)
			},
		}},
	})
}

// Done when: unknown plan, bad region and bad image fail plan, not apply. With the other
// mistakes an apply used to find half-way, each names its attribute.
func TestAccOperator_mistakesFailAtPlanTime(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	tenantWith := func(plan, region, image string) string {
		return fmt.Sprintf(`
resource "launchpad_tenant" "x" {
  user_id = "alice01"
  product = "hermes"
  region  = %q
  plan    = %s
  image   = %q
}`, region, plan, image)
	}
	starter := planBlock("starter", 10, 1, 1024, 5)
	cases := []struct {
		name, config, attr, want string
	}{
		{"unknown plan", e.config(tenantWith(`"nope"`, "iad", testImage)), "plan", `plan "nope" does not exist`},
		{"region not at Fly", e.config(starter, tenantWith("launchpad_plan.starter.name", "zzz", testImage)), "region", "not one of Fly's regions"},
		{"bad image", e.config(starter, tenantWith("launchpad_plan.starter.name", "iad", "Not An Image!!")), "image", "not a container image reference"},

		{"two keys for one user", e.config(starter, `
resource "launchpad_subkey" "a" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
}
resource "launchpad_subkey" "b" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
  name    = "second"
}`), "user_id", "creates sub-keys for the same user"},
		{"two tenants for one user", e.config(starter, `
resource "launchpad_tenant" "a" {
  user_id = "alice01"
  product = "hermes"
  region  = "iad"
  plan    = launchpad_plan.starter.name
  image   = "`+testImage+`"
  subkey_hash = "hash-of-nobody-000"
}
resource "launchpad_tenant" "b" {
  user_id = "alice01"
  product = "hermes"
  region  = "ams"
  plan    = launchpad_plan.starter.name
  image   = "`+testImage+`"
  subkey_hash = "hash-of-nobody-000"
}`), "product", "creates hermes tenants for the same user"},
		{"one price, two plans", e.config(starter, strings.Replace(planBlock("a", 5, 1, 256, 1), "name ", "stripe_price_id = \"price_Same\"\n  name ", 1),
			strings.Replace(planBlock("b", 5, 1, 256, 1), "name ", "stripe_price_id = \"price_Same\"\n  name ", 1)), "stripe_price_id", "both set stripe_price_id"},
		{"short secret", withSecret(e.config(starter), "too-short", ""), "platform_secret", "at least 32 random bytes"},
	}
	noKey := resource.TestStep{
		Config:      e.config(starter, tenantWith("launchpad_plan.starter.name", "iad", testImage)),
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`(?s)No model key for the tenant.*no model key: store a BYOK key, set subkey_hash`),
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: providerFactories, Steps: []resource.TestStep{noKey}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories,
				Steps: []resource.TestStep{{
					Config:      c.config,
					PlanOnly:    true,
					ExpectError: attributeError(c.attr, c.want),
				}},
			})
			if apps := e.fly.Sim.Snapshot().Apps; len(apps) > 0 {
				t.Fatalf("a failed plan made %d apps at Fly", len(apps))
			}
		})
	}
}

// Another user's subkey_hash, and a second key for a user whose key exists, are refused by
// the plan, with nothing changed.
func TestAccOperator_keyOwnershipIsCheckedAtPlanTime(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	plans := []string{planBlock("starter", 10, 1, 1024, 5)}
	base := fleetConfig(e, plans, "starter", "iad", "alice01", "bob02")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: base},
			{
				Config:      strings.Replace(base, "subkey_hash = launchpad_subkey.u1.hash", "subkey_hash = launchpad_subkey.u0.hash", 1),
				PlanOnly:    true,
				ExpectError: attributeError("subkey_hash", "is not the sub-key of user bob02"),
			},
			{
				Config: base + `
resource "launchpad_subkey" "again" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
  name    = "second"
}`,
				PlanOnly:    true,
				ExpectError: attributeError("user_id", "already has the sub-key"),
			},
		},
	})
}

// Plans that tell the truth: a limit changed at OpenRouter shows the value it is put back
// to, not "(known after apply)"; a lost IP marks only the IP, not the machine's size or state.
func TestAccOperator_plansShowWhatWillBeRestored(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	config := fleetConfig(e, []string{planBlock("starter", 10, 1, 1024, 5)}, "starter", "iad", "alice01")
	var hash, app, ipv4 string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(s *terraform.State) error {
					hash = s.RootModule().Resources["launchpad_subkey.u0"].Primary.ID
					app = s.RootModule().Resources["launchpad_tenant.u0"].Primary.Attributes["app_name"]
					ipv4 = s.RootModule().Resources["launchpad_tenant.u0"].Primary.Attributes["ipv4"]
					return nil
				},
			},
			{
				PreConfig: func() {
					limit := 99.0
					if _, err := e.issuer.UpdateKey(context.Background(), hash, launchpad.KeyUpdate{LimitUSD: &limit}); err != nil {
						t.Fatal(err)
					}
					if err := e.runtime.ReleaseIP(context.Background(), app, ipv4); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("launchpad_subkey.u0", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(10)),
					plancheck.ExpectUnknownValue("launchpad_tenant.u0", tfjsonpath.New("ipv4")),
					plancheck.ExpectKnownValue("launchpad_tenant.u0", tfjsonpath.New("machine_state"), knownvalue.StringExact("started")),
					plancheck.ExpectKnownValue("launchpad_tenant.u0", tfjsonpath.New("machine_memory_mb"), knownvalue.Int64Exact(1024)),
					plancheck.ExpectKnownValue("launchpad_tenant.u0", tfjsonpath.New("secret_digest"), knownvalue.NotNull()),
				}},
				Check: e.checkKeyLimit("launchpad_subkey.u0", 10),
			},
		},
	})
}

// Destroy safety: deletion_protection refuses the destroy (and a replacement) at plan time;
// with workspace_retention_days the destroy keeps a snapshot in the app, and restore_from
// brings the workspace back into the user's new tenant.
func TestAccOperator_deletionProtectionAndRetention(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	plans := []string{planBlock("starter", 10, 1, 1024, 5)}
	withTenant := func(extra string) string {
		return strings.Replace(fleetConfig(e, plans, "starter", "iad", "alice01"), "subkey_hash = launchpad_subkey.u0.hash",
			"subkey_hash = launchpad_subkey.u0.hash\n"+extra, 1)
	}
	protected := withTenant("  deletion_protection = true\n  workspace_retention_days = 3")
	retained := withTenant("  workspace_retention_days = 3")
	withoutTenant := e.config(append(plans, `
resource "launchpad_subkey" "u0" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
}`)...)
	var app string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{
				Config: protected,
				Check:  keep("launchpad_tenant.u0", "app_name", &app),
			},
			{
				// A region change would replace it: refused by the plan.
				Config:      strings.Replace(protected, `region      = "iad"`, `region      = "ams"`, 1),
				PlanOnly:    true,
				ExpectError: attributeError("region", "deletion_protection = true forbids that"),
			},
			{
				// Removing it from the configuration: refused by the plan too.
				Config:      withoutTenant,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Tenant is protected from deletion.*deletion_protection = false`),
			},
			// Protection off, retention on; then the tenant is destroyed.
			{Config: retained},
			{
				Config: withoutTenant,
				Check: func(*terraform.State) error {
					return e.checkWorkspaceKept(app)
				},
			},
		},
	})
	a, err := e.flyApp(app)
	if err != nil || len(a.VolumeBackups) != 1 {
		t.Fatalf("after the test's destroy: app %+v, %v; want it kept with its snapshot", a, err)
	}
	snapshot := a.VolumeBackups[0].ID

	// The user comes back: the workspace is restored into the kept app, extended to pro's size.
	restored := strings.Replace(fleetConfig(e, []string{planBlock("pro", 50, 2, 4096, 20)}, "pro", "iad", "alice01"),
		"subkey_hash = launchpad_subkey.u0.hash", fmt.Sprintf("subkey_hash = launchpad_subkey.u0.hash\n  restore_from = { app_name = %q, snapshot_id = %q }", app, snapshot), 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config: restored,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("launchpad_tenant.u0", "app_name", app),
				e.checkBoundary("launchpad_tenant.u0", launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}, 20),
				func(*terraform.State) error {
					a, err := e.flyApp(app)
					if err != nil || len(a.LiveVolumes()) != 1 || a.LiveVolumes()[0].RestoredFrom != snapshot {
						return fmt.Errorf("volumes %+v (%v), want one restored from %s", a.Volumes, err, snapshot)
					}
					return nil
				},
			),
		}},
	})
}

// checkWorkspaceKept checks that a destroyed tenant's app is kept with only its volume's
// snapshot, and that the user's audit log names it.
func (e *testEnv) checkWorkspaceKept(app string) error {
	a, err := e.flyApp(app)
	if err != nil {
		return fmt.Errorf("the app of a retained workspace was deleted: %v", err)
	}
	if len(a.LiveVolumes()) != 0 || len(a.IPs) != 0 || len(a.Secrets) != 0 || len(a.VolumeBackups) != 1 || a.VolumeBackups[0].RetentionDays != 3 {
		return fmt.Errorf("kept app %+v: want only the volume's snapshot, kept 3 days", a)
	}
	for _, m := range a.Machines {
		if m.State != "destroyed" {
			return fmt.Errorf("kept app has a live machine %s", m.ID)
		}
	}
	evs, err := e.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: "alice01", Limit: 1000})
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.Action == launchpad.AuditTenantDestroyed && ev.Details["retained_snapshot"] == a.VolumeBackups[0].ID && ev.Details["retained_app"] == app {
			return nil
		}
	}
	return fmt.Errorf("no tenant.destroyed audit event names the kept snapshot %s", a.VolumeBackups[0].ID)
}

// A region change with everything in order replaces the tenant in one apply (the checks of
// the new tenant know the old one goes first), with the plan warning that /workspace is lost.
func TestAccOperator_regionChangeReplacesTheTenant(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	plans := []string{planBlock("starter", 10, 1, 1024, 5)}
	var before string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: fleetConfig(e, plans, "starter", "iad", "alice01"),
				Check:  keep("launchpad_tenant.u0", "app_name", &before),
			},
			{
				Config: fleetConfig(e, plans, "starter", "ams", "alice01"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_tenant.u0", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("launchpad_subkey.u0", plancheck.ResourceActionNoop),
				}},
				Check: func(s *terraform.State) error {
					at := s.RootModule().Resources["launchpad_tenant.u0"].Primary.Attributes
					if at["app_name"] == before || at["region"] != "ams" {
						return fmt.Errorf("tenant %s in %s, want a new app in ams", at["app_name"], at["region"])
					}
					if _, err := e.flyApp(before); err == nil {
						return fmt.Errorf("the replaced app %s is still at Fly", before)
					}
					return e.checkOneOfEverything([]string{"alice01"})
				},
			},
		},
	})
}

// The plan says when a workspace is about to be lost, and when a key is disabled at
// OpenRouter (warnings a plan check cannot see, so this test reads what the CLI prints).
func TestAccOperator_plansWarnBeforeAWorkspaceIsLost(t *testing.T) {
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || cli == "" {
		t.Skip("WARNING: needs TF_ACC and TF_ACC_TERRAFORM_PATH (make test sets them)")
	}
	ctx := context.Background()
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	config := func(region, retention string) map[string]string {
		return map[string]string{"main.tf": `
terraform {
  required_providers {
    launchpad = { source = "clawdrun/launchpad" }
  }
}
provider "launchpad" {}
` + planBlock("starter", 10, 1, 1024, 5) + `
resource "launchpad_subkey" "alice" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
}
resource "launchpad_tenant" "alice" {
  user_id     = "alice01"
  product     = "hermes"
  region      = "` + region + `"
  plan        = launchpad_plan.starter.name
  image       = "` + testImage + `"
  subkey_hash = launchpad_subkey.alice.hash
  workspace_retention_days = ` + retention + `
}
`}
	}
	tf, out := e.cliWorkspace(t, cli, "acme", config("iad", "0"))
	if err := tf.Apply(ctx); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	plannedWith := func(files map[string]string) string {
		t.Helper()
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(tf.WorkingDir(), name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out.Reset()
		if _, err := tf.Plan(ctx); err != nil {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		return strings.Join(strings.Fields(out.String()), " ")
	}
	if got := plannedWith(config("ams", "0")); !strings.Contains(got, "Tenant replaced: workspace deleted") ||
		!strings.Contains(got, "deletes its /workspace volume") || !strings.Contains(got, "with no copy") {
		t.Errorf("a region change's plan does not warn that /workspace is lost:\n%s", got)
	}
	// The retention that counts is the one the tenant has when it is destroyed: set together
	// with the region, it is not yet in effect, and the warning still says "deleted".
	if got := plannedWith(config("ams", "7")); !strings.Contains(got, "Tenant replaced: workspace deleted") {
		t.Errorf("a retention set in the same apply as the replacement is counted:\n%s", got)
	}
	writeAndApply := func(files map[string]string) {
		t.Helper()
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(tf.WorkingDir(), name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out.Reset()
		if err := tf.Apply(ctx); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
	}
	writeAndApply(config("iad", "7"))
	if got := plannedWith(config("ams", "7")); !strings.Contains(got, "Tenant replaced: workspace kept as a snapshot") ||
		!strings.Contains(got, "for 7 days") {
		t.Errorf("with a retention, the plan does not say the workspace is kept:\n%s", got)
	}
	writeAndApply(config("iad", "0"))

	// The key is disabled at OpenRouter (an operator revoked it): the plan says so.
	u, err := e.store.GetUser(ctx, "alice01")
	if err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, err := e.issuer.UpdateKey(ctx, u.OpenRouterKeyHash, launchpad.KeyUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if got := plannedWith(config("iad", "0")); !strings.Contains(got, "Sub-key disabled at OpenRouter") || !strings.Contains(got, "rotation_generation") {
		t.Errorf("the plan does not warn that the key is disabled:\n%s", got)
	}
	out.Reset()
	if err := tf.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if err := e.checkNothingLeft(nil); err != nil {
		t.Fatal(err)
	}
}
