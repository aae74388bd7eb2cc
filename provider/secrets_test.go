package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestAccSecrets_neverInStateOrLogs applies tenants on every key source (sub-key, BYOK
// through the write-only attribute, and a rotation) with the most verbose logging, then
// looks for each plaintext key in every attribute of state and in the provider and tofu logs.
func TestAccSecrets_neverInStateOrLogs(t *testing.T) {
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	e := newTestEnv(t, sim.FlyOptions{}, sim.OpenRouterOptions{})
	const byok = "sk-or-v1-byok-0123456789abcdef0123456789abcdef"
	seen := map[string]bool{byok: true}

	// The key reaches tofu as an operator's would: through the environment, not the config
	// file (which the test harness logs).
	t.Setenv("TF_VAR_byok", byok)
	byokTenant := fmt.Sprintf(`
variable "byok" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "launchpad_tenant" "bob" {
  user_id             = "bob02"
  product             = "hermes"
  region              = "ams"
  plan                = launchpad_plan.pro.name
  image               = %q
  byok_key_wo         = var.byok
  byok_key_wo_version = 1
}`, testImage)

	collect := func(*terraform.State) error {
		for _, k := range e.plaintextKeys() {
			seen[k] = true
		}
		return nil
	}
	noKeyInState := func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for name, v := range rs.Primary.Attributes {
				for k := range seen {
					if strings.Contains(v, k) {
						return fmt.Errorf("a plaintext key is in state: %s.%s", addr, name)
					}
				}
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(e, "starter", byokTenant),
				Check: resource.ComposeAggregateTestCheckFunc(collect, noKeyInState,
					resource.TestCheckResourceAttr("launchpad_tenant.bob", "key_source", "byok"),
					resource.TestCheckNoResourceAttr("launchpad_tenant.bob", "byok_key_wo"),
				),
			},
			{
				// Rotation mints a second key: it must not leak either.
				Config: strings.Replace(tenantConfig(e, "starter", byokTenant), `plan    = launchpad_plan.starter.name
}`, `plan    = launchpad_plan.starter.name
  rotation_generation = 1
}`, 1),
				Check: resource.ComposeAggregateTestCheckFunc(collect, noKeyInState),
			},
		},
	})

	if len(seen) < 3 {
		t.Fatalf("collected %d plaintext keys, want the BYOK key and two sub-keys", len(seen))
	}
	logs, err := filepath.Glob(filepath.Join(logDir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no log written to %s (%v): the test would prove nothing", logDir, err)
	}
	var total int
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		for k := range seen {
			if i := strings.Index(string(b), k); i >= 0 {
				ctx := string(b[max(0, i-300):i])
				t.Errorf("a plaintext key (%d bytes, BYOK: %v) appears in log %s after: %q", len(k), k == byok, filepath.Base(path), ctx)
			}
		}
	}
	if total < 10000 {
		t.Fatalf("logs hold only %d bytes; TRACE logging did not reach them", total)
	}
	t.Logf("checked %d plaintext keys against state and %d bytes of TRACE logs", len(seen), total)
}
