//go:build live

package provider

// The provider's acceptance tests against the real services: a Fly organization and
// OpenRouter, through the real tofu. They are compiled only with the `live` build tag and run
// only under `make testlive` (LAUNCHPAD_LIVE=1, set once the credentials check out), which
// sweeps afterwards whatever carries the run's prefix. Every check reads the real APIs through
// the project's own clients (internal/fly, internal/openrouter), never a simulator.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/live"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
)

// liveEnv is one live test's world: the configuration, a fresh user id under the prefix, a
// SQLite store in a temporary directory, and the project's clients of the real services.
type liveEnv struct {
	cfg      live.Config
	userID   string
	storeURL string
	secret   string
	runtime  launchpad.Runtime
	issuer   launchpad.KeyIssuer
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	if !live.Enabled() {
		t.Skip("a live test: it creates real Fly apps and OpenRouter keys, so it runs only under `make testlive` (LAUNCHPAD_LIVE=1)")
	}
	c := live.FromEnv(os.Getenv)
	if p := c.Problems(); len(p) > 0 {
		t.Fatalf("LAUNCHPAD_LIVE=1 but the live configuration is not usable: %s", strings.Join(p, "; "))
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	e := &liveEnv{cfg: c, userID: c.UserID(), secret: hex.EncodeToString(secret),
		storeURL: "sqlite://" + filepath.Join(t.TempDir(), "launchpad.db")}
	ctx := context.Background()
	var err error
	if e.runtime, err = fly.New(ctx, fly.Config{BaseURL: c.FlyURL, Token: c.FlyToken, Org: c.FlyOrg}); err != nil {
		t.Fatal(err)
	}
	if e.issuer, err = openrouter.New(openrouter.Config{BaseURL: c.ORURL, ManagementKey: c.ORKey}); err != nil {
		t.Fatal(err)
	}
	t.Logf("live user %s in Fly org %s, region %s, image %s", e.userID, c.FlyOrg, c.Region, c.Image)
	return e
}

// config is the provider block for the real services and the resources: one plan whose
// spend limit is limit, the user's sub-key, and the user's tenant on that plan.
func (e *liveEnv) config(limit float64) string {
	flyURL, orURL := "", ""
	if e.cfg.FlyURL != "" {
		flyURL = fmt.Sprintf("\n    base_url  = %q", e.cfg.FlyURL)
	}
	if e.cfg.ORURL != "" {
		orURL = fmt.Sprintf("\n    base_url       = %q", e.cfg.ORURL)
	}
	return fmt.Sprintf(`
provider "launchpad" {
  store           = %[1]q
  platform_secret = %[2]q
  fly = {
    api_token = %[3]q
    org       = %[4]q%[5]s
  }
  openrouter = {
    management_key = %[6]q%[7]s
  }
}

resource "launchpad_plan" "live" {
  name                    = "live-small"
  monthly_spend_limit_usd = %[8]g
  machine_hours_per_cycle = 10
  volume_size_gb          = 1
  guest = {
    cpu_kind  = "shared"
    cpus      = 1
    memory_mb = 256
  }
}

resource "launchpad_subkey" "live" {
  user_id = %[9]q
  plan    = launchpad_plan.live.name
}

resource "launchpad_tenant" "live" {
  user_id     = %[9]q
  product     = "hermes"
  region      = %[10]q
  plan        = launchpad_plan.live.name
  image       = %[11]q
  subkey_hash = launchpad_subkey.live.hash
}
`, e.storeURL, e.secret, e.cfg.FlyToken, e.cfg.FlyOrg, flyURL, e.cfg.ORKey, orURL, limit, e.userID, e.cfg.Region, e.cfg.Image)
}

// TestLiveProvider_lifecycle: plan, sub-key and tenant created on the real services, a clean
// re-plan, import of the tenant and the sub-key, a plan change that moves the key's limit in
// place, and destroy — each checked at Fly and OpenRouter themselves.
func TestLiveProvider_lifecycle(t *testing.T) {
	e := newLiveEnv(t)
	var appName, keyHash string
	// Whatever the outcome, this test's own app and key go (the sweep after the run would
	// take them too, but a direct `go test -tags live` has no sweep).
	t.Cleanup(func() { e.deleteLeftovers(t, appName, keyHash) })
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy: func(*terraform.State) error {
			return e.checkGone(appName, keyHash)
		},
		Steps: []resource.TestStep{
			{
				// Create: the whole boundary at Fly, the capped key at OpenRouter.
				Config: e.config(1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_tenant.live", tfjsonpath.New("key_source"), knownvalue.StringExact("subkey")),
					statecheck.ExpectKnownValue("launchpad_tenant.live", tfjsonpath.New("machine_state"), knownvalue.StringExact("started")),
					statecheck.ExpectKnownValue("launchpad_subkey.live", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(1)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestMatchResourceAttr("launchpad_tenant.live", "app_name", regexp.MustCompile(`^lp-hermes-`+regexp.QuoteMeta(e.userID)+`-[a-z0-9]+$`)),
					func(s *terraform.State) error {
						appName = s.RootModule().Resources["launchpad_tenant.live"].Primary.Attributes["app_name"]
						keyHash = s.RootModule().Resources["launchpad_subkey.live"].Primary.ID
						if !e.cfg.OwnsApp(appName) {
							return fmt.Errorf("app %s does not carry the prefix %q: the sweep would miss it", appName, e.cfg.Prefix)
						}
						return nil
					},
					e.checkTenantAtFly("launchpad_tenant.live", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 256}, 1),
					e.checkKeyAtOpenRouter("launchpad_subkey.live", 1),
				),
			},
			{
				// A clean re-plan: what the real services answer is what state holds.
				Config: e.config(1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				ResourceName:      "launchpad_tenant.live",
				ImportState:       true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return appName, nil },
				ImportStateVerify: true,
			},
			{
				ResourceName:      "launchpad_subkey.live",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// A plan change: the key's limit moves at OpenRouter, in place, same key.
				Config: e.config(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("launchpad_subkey.live", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("launchpad_subkey.live", tfjsonpath.New("limit_usd"), knownvalue.Float64Exact(2)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("launchpad_subkey.live", "hash", &keyHash),
					resource.TestCheckResourceAttrPtr("launchpad_tenant.live", "app_name", &appName),
					e.checkKeyAtOpenRouter("launchpad_subkey.live", 2),
					e.checkTenantAtFly("launchpad_tenant.live", launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 256}, 1),
				),
			},
		},
	})
}

// checkTenantAtFly checks, at Fly, that the tenant in state is the boundary DESIGN.md
// promises: the app on its own network in the configured organization, a dedicated IPv4 and
// an IPv6, one encrypted volume of the plan's size mounted at /workspace by its one started
// machine of the plan's size, and the key as an app secret (never plain env) whose digest
// state records.
func (e *liveEnv) checkTenantAtFly(addr string, guest launchpad.Guest, volumeGB int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		at := rs.Primary.Attributes
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		name := at["app_name"]
		app, err := e.runtime.GetApp(ctx, name)
		if err != nil {
			return fmt.Errorf("app %s at Fly: %w", name, err)
		}
		if app.Network != name || at["network"] != name {
			return fmt.Errorf("app %s is on network %q (state %q), want its own", name, app.Network, at["network"])
		}
		if app.Org != "" && app.Org != e.cfg.FlyOrg {
			return fmt.Errorf("app %s is in org %q, want %q", name, app.Org, e.cfg.FlyOrg)
		}
		ips, err := e.runtime.ListIPs(ctx, name)
		if err != nil {
			return fmt.Errorf("IPs of %s at Fly: %w", name, err)
		}
		var v4, v6 int
		for _, ip := range ips {
			switch {
			case ip.Type == launchpad.IPv4 && !ip.Shared && ip.Address == at["ipv4"]:
				v4++
			case ip.Type == launchpad.IPv6 && ip.Address == at["ipv6"]:
				v6++
			}
		}
		if v4 != 1 || v6 != 1 {
			return fmt.Errorf("app %s has IPs %+v, want the dedicated v4 %s and the v6 %s", name, ips, at["ipv4"], at["ipv6"])
		}
		vols, err := e.runtime.ListVolumes(ctx, name)
		if err != nil {
			return fmt.Errorf("volumes of %s at Fly: %w", name, err)
		}
		var liveVols []*launchpad.Volume
		for _, v := range vols {
			if !v.State.Gone() { // a deleted volume stays listed as pending_destroy for a while
				liveVols = append(liveVols, v)
			}
		}
		if len(liveVols) != 1 {
			return fmt.Errorf("app %s has %d live volumes (%+v), want 1", name, len(liveVols), vols)
		}
		vol := liveVols[0]
		if !vol.Encrypted || vol.SizeGB != volumeGB || vol.ID != at["volume_id"] {
			return fmt.Errorf("volume %+v: want encrypted, %d GB, id %s", vol, volumeGB, at["volume_id"])
		}
		machines, err := e.runtime.ListMachines(ctx, name)
		if err != nil {
			return fmt.Errorf("machines of %s at Fly: %w", name, err)
		}
		var running []*launchpad.Machine
		for _, m := range machines {
			if !m.State.Gone() {
				running = append(running, m)
			}
		}
		if len(running) != 1 {
			return fmt.Errorf("app %s has %d machines that are not destroyed, want 1", name, len(running))
		}
		m := running[0]
		if m.ID != at["machine_id"] || m.State != launchpad.MachineStarted {
			return fmt.Errorf("machine %s is %s; state says machine %s, started", m.ID, m.State, at["machine_id"])
		}
		if m.Guest.CPUKind != guest.CPUKind || m.Guest.CPUs != guest.CPUs || m.Guest.MemoryMB != guest.MemoryMB {
			return fmt.Errorf("machine guest %+v, want %+v", m.Guest, guest)
		}
		if len(m.Mounts) != 1 || m.Mounts[0].VolumeID != vol.ID || m.Mounts[0].Path != "/workspace" {
			return fmt.Errorf("machine mounts %+v, want volume %s at /workspace", m.Mounts, vol.ID)
		}
		if _, ok := m.Env[launchpad.KeySecretName]; ok {
			return fmt.Errorf("the model key is in the machine's plain env")
		}
		secrets, err := e.runtime.ListSecrets(ctx, name)
		if err != nil {
			return fmt.Errorf("secrets of %s at Fly: %w", name, err)
		}
		for _, sec := range secrets {
			if sec.Name == launchpad.KeySecretName {
				if sec.Digest != at["secret_digest"] {
					return fmt.Errorf("secret %s has digest %s at Fly, state says %s", sec.Name, sec.Digest, at["secret_digest"])
				}
				return nil
			}
		}
		return fmt.Errorf("app %s has no secret %s (secrets %+v)", name, launchpad.KeySecretName, secrets)
	}
}

// checkKeyAtOpenRouter checks the key at OpenRouter: named under the prefix, enabled, with
// the limit OpenRouter enforces, reset monthly, BYOK usage not counted.
func (e *liveEnv) checkKeyAtOpenRouter(addr string, limit float64) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		k, err := e.issuer.GetKey(ctx, rs.Primary.ID)
		if err != nil {
			return fmt.Errorf("key %s at OpenRouter: %w", rs.Primary.ID, err)
		}
		if !e.cfg.OwnsKey(k.Name) {
			return fmt.Errorf("key %s is named %q, not under the prefix %q: the sweep would miss it", k.Hash, k.Name, e.cfg.Prefix)
		}
		if k.Disabled || k.LimitUSD == nil || *k.LimitUSD != limit || k.LimitReset != launchpad.LimitResetMonthly || k.IncludeBYOKInLimit {
			return fmt.Errorf("key %s: disabled %v, limit %v, reset %q, byok %v; want enabled, %g monthly, false",
				k.Hash, k.Disabled, k.LimitUSD, k.LimitReset, k.IncludeBYOKInLimit, limit)
		}
		return nil
	}
}

// checkGone checks, after destroy, that Fly no longer has the app and OpenRouter no longer
// the key. Fly deletes an app asynchronously, so it is asked again for up to three minutes.
func (e *liveEnv) checkGone(appName, keyHash string) error {
	if appName == "" || keyHash == "" {
		return fmt.Errorf("nothing was recorded to check (app %q, key %q)", appName, keyHash)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		_, err := e.runtime.GetApp(ctx, appName)
		if launchpad.IsNotFound(err) {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("app %s is still at Fly three minutes after destroy (last answer: %v)", appName, err)
		}
		time.Sleep(5 * time.Second)
	}
	if k, err := e.issuer.GetKey(ctx, keyHash); !launchpad.IsNotFound(err) {
		return fmt.Errorf("key %s is still at OpenRouter after destroy: %+v, %v", keyHash, k, err)
	}
	return nil
}

// deleteLeftovers deletes this test's own app and key if they are still there.
func (e *liveEnv) deleteLeftovers(t *testing.T, appName, keyHash string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if appName != "" {
		if err := e.runtime.DeleteApp(ctx, appName); err != nil && !launchpad.IsNotFound(err) {
			t.Logf("deleting app %s after the test: %v (the sweep takes it)", appName, err)
		}
	}
	if keyHash != "" {
		if err := e.issuer.DeleteKey(ctx, keyHash); err != nil && !launchpad.IsNotFound(err) {
			t.Logf("deleting key %s after the test: %v (the sweep takes it)", keyHash, err)
		}
	}
}
