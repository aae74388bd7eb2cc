package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// providerFactories serve this provider in-process to the real tofu CLI that
// terraform-plugin-testing runs (TF_ACC_TERRAFORM_PATH).
var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"launchpad": providerserver.NewProtocol6WithError(New("test")()),
}

const testSecret = "acceptance-test-platform-secret-0123456789abcdef"

// testEnv is one acceptance test's world: both simulators, a SQLite store in a temporary
// directory, and clients that look at them the way the provider does.
type testEnv struct {
	t        *testing.T
	fly      *simtest.FlyServer
	or       *simtest.OpenRouterServer
	storeURL string
	store    launchpad.Store
	keyring  *envelope.Keyring
	runtime  launchpad.Runtime
	issuer   launchpad.KeyIssuer
}

func newTestEnv(t *testing.T, flyOpts sim.FlyOptions, orOpts sim.OpenRouterOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	e := &testEnv{t: t, fly: simtest.StartFly(t, flyOpts), or: simtest.StartOpenRouter(t, orOpts)}
	e.storeURL = "sqlite://" + filepath.Join(t.TempDir(), "launchpad.db")
	var err error
	if e.store, err = store.Open(ctx, e.storeURL); err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { e.store.Close() })
	if e.keyring, err = envelope.NewKeyring(testSecret, ""); err != nil {
		t.Fatal(err)
	}
	if e.runtime, err = fly.New(ctx, fly.Config{BaseURL: e.fly.URL, Token: e.fly.Token, Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	if e.issuer, err = openrouter.New(openrouter.Config{BaseURL: e.or.URL, ManagementKey: e.or.ManagementKey}); err != nil {
		t.Fatal(err)
	}
	return e
}

// providerBlock configures the provider for this environment.
func (e *testEnv) providerBlock() string {
	return fmt.Sprintf(`
provider "launchpad" {
  store           = %q
  platform_secret = %q
  fly = {
    api_token = %q
    org       = "acme"
    base_url  = %q
  }
  openrouter = {
    management_key = %q
    base_url       = %q
  }
}
`, e.storeURL, testSecret, e.fly.Token, e.fly.URL, e.or.ManagementKey, e.or.URL)
}

// config joins the provider block and resource blocks.
func (e *testEnv) config(blocks ...string) string {
	return e.providerBlock() + strings.Join(blocks, "\n")
}

// plaintextKeys opens every sealed key in the store: what must never appear in state or logs.
func (e *testEnv) plaintextKeys() []string {
	e.t.Helper()
	users, err := e.store.ListUsers(context.Background(), "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, u := range users {
		for _, sealed := range []string{u.OpenRouterKey, u.BYOKKey} {
			if sealed == "" {
				continue
			}
			p, err := envelope.NewSealer(e.keyring, e.store).Open(context.Background(), sealed, u.ID)
			if err != nil {
				e.t.Fatalf("open sealed key of %s: %v", u.ID, err)
			}
			keys = append(keys, string(p))
		}
	}
	return keys
}

func planBlock(name string, limit float64, cpus, memory, volume int) string {
	return fmt.Sprintf(`
resource "launchpad_plan" %[1]q {
  name                    = %[1]q
  monthly_spend_limit_usd = %[2]g
  machine_hours_per_cycle = 100
  volume_size_gb          = %[5]d
  guest = {
    cpu_kind  = "shared"
    cpus      = %[3]d
    memory_mb = %[4]d
  }
}
`, name, limit, cpus, memory, volume)
}

// userBlock is a user's sub-key and hermes tenant, both named name, on plan in region.
func userBlock(name, user, plan, region string) string {
	return fmt.Sprintf(`
resource "launchpad_subkey" %[1]q {
  user_id = %[2]q
  plan    = launchpad_plan.%[3]s.name
}

resource "launchpad_tenant" %[1]q {
  user_id     = %[2]q
  product     = "hermes"
  region      = %[4]q
  plan        = launchpad_plan.%[3]s.name
  image       = %[5]q
  subkey_hash = launchpad_subkey.%[1]s.hash
}
`, name, user, plan, region, testImage)
}

// attributeError matches a tofu diagnostic attached to attr — tofu quotes the offending
// configuration line — whose text contains the words of msg (tofu wraps long lines).
func attributeError(attr, msg string) *regexp.Regexp {
	words := strings.Fields(regexp.QuoteMeta(msg))
	return regexp.MustCompile(`(?s)\d+:\s+` + regexp.QuoteMeta(attr) + `\s+=.*` + strings.Join(words, `\s+`))
}

func launchpadTenantFilter(userID string) launchpad.TenantFilter {
	return launchpad.TenantFilter{UserID: userID}
}

// assertNoPlaintextIn fails the test if any plaintext key of the store appears anywhere in v
// (a state or plan as tofu shows it).
func (e *testEnv) assertNoPlaintextIn(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	keys := e.plaintextKeys()
	if len(keys) == 0 {
		t.Fatal("no key in the store: nothing to look for")
	}
	for _, k := range keys {
		if strings.Contains(string(b), k) {
			t.Fatalf("a plaintext key (%d bytes) is in the state", len(k))
		}
	}
}
