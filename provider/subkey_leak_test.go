package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/rotation"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

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
