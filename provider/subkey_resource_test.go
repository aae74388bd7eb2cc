package provider

import (
	"context"
	"errors"
	"fmt"
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

func TestAccSubKey_rotationDeliversBeforeRevoking(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var oldHash, oldDigest string
	rotated := strings.Replace(tenantConfig(e, "starter"), `plan    = launchpad_plan.starter.name
}`, `plan    = launchpad_plan.starter.name
  rotation_generation = 1
}`, 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter"),
				Check: func(s *terraform.State) error {
					oldHash = s.RootModule().Resources["launchpad_subkey.alice"].Primary.ID
					oldDigest = s.RootModule().Resources["launchpad_tenant.alice"].Primary.Attributes["secret_digest"]
					return e.checkTenantHoldsUserKey("alice01")(s)
				},
			},
			{
				Config: rotated,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_tenant.alice", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(s *terraform.State) error {
						sk := s.RootModule().Resources["launchpad_subkey.alice"].Primary
						tn := s.RootModule().Resources["launchpad_tenant.alice"].Primary
						if sk.ID == oldHash {
							return fmt.Errorf("rotation kept the hash %s", oldHash)
						}
						if tn.Attributes["subkey_hash"] != sk.ID || tn.Attributes["secret_digest"] == oldDigest {
							return fmt.Errorf("tenant still on the old key: subkey_hash %s digest %s", tn.Attributes["subkey_hash"], tn.Attributes["secret_digest"])
						}
						for _, k := range e.or.Sim.Snapshot().Keys {
							if k.Hash == oldHash {
								return fmt.Errorf("the old key %s still exists at OpenRouter", oldHash)
							}
						}
						return nil
					},
					e.checkTenantHoldsUserKey("alice01"),
					e.checkKeyLimit("launchpad_subkey.alice", 10),
				),
			},
		},
	})
}

func TestAccSubKey_planLimitChangeReachesTheKey(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	raised := strings.Replace(tenantConfig(e, "starter"), "monthly_spend_limit_usd = 10", "monthly_spend_limit_usd = 15", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: tenantConfig(e, "starter"), Check: e.checkKeyLimit("launchpad_subkey.alice", 10)},
			{
				// The plan's limit changes in this apply, and the key follows in the same apply:
				// the plan shows the new limit, and the next plan is empty.
				Config: raised,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_plan.starter", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(15)),
				}},
				Check: e.checkKeyLimit("launchpad_subkey.alice", 15),
			},
		},
	})
}

func TestAccSubKey_oneKeyPerUser(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: tenantConfig(e, "starter")},
			{
				Config: tenantConfig(e, "starter", `
resource "launchpad_subkey" "again" {
  user_id = "alice01"
  plan    = launchpad_plan.starter.name
  name    = "second"
}`),
				ExpectError: attributeError("user_id", "already has the sub-key"),
			},
		},
	})
}

// checkTenantHoldsUserKey checks that the Fly secret of the user's tenant is the user's
// current sub-key (by digest) — the key that can actually spend.
func (e *testEnv) checkTenantHoldsUserKey(userID string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		u, err := e.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		plain, err := envelope.NewSealer(e.keyring, e.store).Open(context.Background(), u.OpenRouterKey, userID)
		if err != nil {
			return err
		}
		if err := e.or.Sim.Spend(string(plain), 0.01); err != nil {
			return fmt.Errorf("the user's key cannot spend: %v", err)
		}
		tenants, err := e.store.ListTenants(ctx, launchpadTenantFilter(userID))
		if err != nil || len(tenants) != 1 {
			return fmt.Errorf("tenants of %s: %d (%v)", userID, len(tenants), err)
		}
		app, err := e.flyApp(tenants[0].AppName)
		if err != nil {
			return err
		}
		if len(app.Secrets) != 1 || app.Secrets[0].Digest != sim.SecretDigest(string(plain)) {
			return fmt.Errorf("app %s secret %+v is not the user's current key", app.Name, app.Secrets)
		}
		// And the running machine runs it: a new key reaches a machine only through an
		// update for its secrets version, never through a stop and start.
		for _, m := range app.Machines {
			if m.State == "started" && (m.SecretsVersion != app.SecretsVersion || m.Secrets[launchpad.KeySecretName] != sim.SecretDigest(string(plain))) {
				return fmt.Errorf("machine %s of %s runs secrets version %d, not the app's %d with the user's current key", m.ID, app.Name, m.SecretsVersion, app.SecretsVersion)
			}
		}
		return nil
	}
}

// TestAccSubKey_capShapeDriftIsPutBack: the limit is not the only part of the hard cap. A
// reset period or BYOK counting changed at OpenRouter outside Terraform shows in the next plan
// and the apply puts the monthly, BYOK-excluded cap back.
func TestAccSubKey_capShapeDriftIsPutBack(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var hash string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter"),
				Check:  keep("launchpad_subkey.alice", "id", &hash),
			},
			{
				PreConfig: func() {
					daily, byok := launchpad.LimitResetDaily, true
					if _, err := e.issuer.UpdateKey(context.Background(), hash, launchpad.KeyUpdate{LimitReset: &daily, IncludeBYOKInLimit: &byok}); err != nil {
						t.Fatalf("change the key out of band: %v", err)
					}
				},
				Config: tenantConfig(e, "starter"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("launchpad_subkey.alice", tfjsonpath.New("limit_reset"), knownvalue.StringExact("monthly")),
				}},
				Check: e.checkKeyLimit("launchpad_subkey.alice", 10),
			},
		},
	})
}

// TestAccSubKey_keyLostToACrashIsDeletedBeforeMinting plays a process killed between
// OpenRouter's answer to a mint and the sealing of the key: OpenRouter holds a key named for
// the user that the store does not record, whose plaintext nobody has. The next mint deletes
// it, so exactly one key per user is left.
func TestAccSubKey_keyLostToACrashIsDeletedBeforeMinting(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	limit := 10.0
	lost, err := e.issuer.CreateKey(context.Background(), launchpad.KeySpec{Name: "launchpad-alice01", LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config: tenantConfig(e, "starter"),
			Check: resource.ComposeAggregateTestCheckFunc(
				func(*terraform.State) error { return e.checkOneOfEverything([]string{"alice01"}) },
				func(s *terraform.State) error {
					if s.RootModule().Resources["launchpad_subkey.alice"].Primary.ID == lost.Info.Hash {
						return fmt.Errorf("the lost key %s was adopted", lost.Info.Hash)
					}
					return nil
				},
				e.checkTenantHoldsUserKey("alice01"),
			),
		}},
	})
}

// TestAccSubKey_followsALeakResponse: after rotate-secret --rotate-keys rotated alice's key
// outside Terraform (minted, delivered to her tenant, the old one revoked), the next plan,
// with rotation_generation set to the generation the command recorded, follows the new key
// instead of planning a second one for her; the old key answers 401 and the tenant holds the
// new one.
func TestAccSubKey_followsALeakResponse(t *testing.T) {
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	var oldHash, oldKey string
	bumped := strings.Replace(tenantConfig(e, "starter"), "plan    = launchpad_plan.starter.name\n}",
		"plan    = launchpad_plan.starter.name\n  rotation_generation = 1\n}", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter"),
				Check:  keep("launchpad_subkey.alice", "hash", &oldHash),
			},
			{
				PreConfig: func() {
					ctx := context.Background()
					u, err := e.store.GetUser(ctx, "alice01")
					if err != nil {
						t.Fatal(err)
					}
					p, err := envelope.NewSealer(e.keyring, e.store).Open(context.Background(), u.OpenRouterKey, "alice01")
					if err != nil {
						t.Fatal(err)
					}
					oldKey = string(p)
					res, err := rotation.RespondToLeak(ctx, rotation.LeakConfig{Store: e.store, Keyring: e.keyring, Issuer: e.issuer, Runtime: e.runtime})
					if err != nil || res.KeysRotated != 1 {
						t.Fatalf("leak response: %+v, %v", res, err)
					}
				},
				Config: bumped,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_subkey.alice", plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkTenantHoldsUserKey("alice01"),
					func(s *terraform.State) error {
						if h := s.RootModule().Resources["launchpad_subkey.alice"].Primary.Attributes["hash"]; h == oldHash {
							return fmt.Errorf("state still holds the revoked key %s", oldHash)
						}
						if err := e.or.Sim.Spend(oldKey, 0.01); !errors.Is(err, sim.ErrKeyUnauthorized) {
							return fmt.Errorf("the old key: %v; want 401", err)
						}
						if n := len(e.or.Sim.Snapshot().Keys); n != 1 {
							return fmt.Errorf("%d keys at OpenRouter, want 1", n)
						}
						return nil
					},
				),
			},
		},
	})
}
