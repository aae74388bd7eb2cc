package live

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

func TestProblemsNameWhatIsMissing(t *testing.T) {
	env := map[string]string{}
	c := FromEnv(func(k string) string { return env[k] })
	p := c.Problems()
	if len(p) != 1 || p[0] != "FLY_API_TOKEN, FLY_ORG, OPENROUTER_MANAGEMENT_KEY, STRIPE_API_KEY not set" {
		t.Errorf("problems %q", p)
	}
	env = map[string]string{EnvFlyToken: "t", EnvFlyOrg: "o", EnvORKey: "k", EnvStripeKey: liveModeKey, EnvPrefix: "Bad-Prefix"}
	p = FromEnv(func(k string) string { return env[k] }).Problems()
	if len(p) != 2 || !strings.Contains(p[0], "not a test-mode key") || !strings.Contains(p[1], EnvPrefix) {
		t.Errorf("problems %q; want the live-mode Stripe key and the prefix refused", p)
	}
	env[EnvStripeKey], env[EnvPrefix] = "sk_test_x", ""
	if p := FromEnv(func(k string) string { return env[k] }).Problems(); len(p) != 0 {
		t.Errorf("problems %q, want none", p)
	}
}

func TestNamesCarryThePrefix(t *testing.T) {
	c := Config{Prefix: "lplive"}
	id := c.UserID()
	name, err := launchpad.AppName("hermes", id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !c.OwnsApp(name) || !c.OwnsKey("launchpad-"+id) || !c.OwnsKey("launchpad-"+id+" r1") {
		t.Errorf("user %s: app %s or its keys are not recognised as the live run's", id, name)
	}
	for _, other := range []string{"lp-hermes-alice01-t0", "lplive-x", "lp-hermes", "app-hermes-lplive01-t0"} {
		if c.OwnsApp(other) {
			t.Errorf("%s taken for a live run's app", other)
		}
	}
	if c.OwnsKey("launchpad-alice01") || c.OwnsKey("lplive") {
		t.Error("a key that is not the live run's taken for one")
	}
}

// The sweeper deletes what carries the prefix and nothing else; it is run here against the
// simulators, which speak the same APIs as the real services.
func TestSweepTakesOnlyWhatCarriesThePrefix(t *testing.T) {
	ctx := context.Background()
	f := simtest.StartFly(t, sim.FlyOptions{})
	o := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := Config{FlyToken: f.Token, FlyOrg: "acme", FlyURL: f.URL, ORKey: o.ManagementKey, ORURL: o.URL, Prefix: "lplive"}
	rt, err := fly.New(ctx, fly.Config{BaseURL: f.URL, Token: f.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	or, err := openrouter.New(openrouter.Config{BaseURL: o.URL, ManagementKey: o.ManagementKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"lp-hermes-lplive3f-t0", "lp-openclaw-lplive00-t1", "lp-hermes-alice01-t0"} {
		if _, err := rt.CreateApp(ctx, launchpad.AppSpec{Name: app}); err != nil {
			t.Fatal(err)
		}
	}
	limit := 1.0
	for _, name := range []string{"launchpad-lplive3f", "launchpad-lplive3f r1", "launchpad-alice01"} {
		if _, err := or.CreateKey(ctx, launchpad.KeySpec{Name: name, LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly}); err != nil {
			t.Fatal(err)
		}
	}
	swept, err := Sweep(ctx, c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if swept.Apps != 2 || swept.Keys != 2 {
		t.Errorf("swept %s, want 2 apps and 2 keys", swept)
	}
	if apps := f.Sim.Snapshot().Apps; len(apps) != 1 || apps[0].Name != "lp-hermes-alice01-t0" {
		t.Errorf("apps left %+v, want alice's only", apps)
	}
	if keys := o.Sim.Snapshot().Keys; len(keys) != 1 || keys[0].Name != "launchpad-alice01" {
		t.Errorf("keys left %+v, want alice's only", keys)
	}
	if again, err := Sweep(ctx, c, io.Discard); err != nil || again.Apps+again.Keys != 0 {
		t.Errorf("a second sweep: %s, %v; want nothing to do", again, err)
	}
}

// The Stripe half of the sweep, against stripe-mock, which checks every request against
// Stripe's OpenAPI spec: the searches and the lists of the last day's customers and products
// are requests Stripe accepts. stripe-mock is stateless and its fixtures carry no
// launchpad_live mark, so nothing is deleted; what is deleted is decided by the mark alone.
func TestSweepStripeRequestsAreStripes(t *testing.T) {
	base := stacktest.StartStripeMock(t)
	c := Config{StripeKey: "sk_test_launchpad", StripeURL: base, Prefix: "lplive"}
	var log strings.Builder
	swept, err := Sweep(context.Background(), c, &log)
	if err != nil {
		t.Fatalf("sweep against stripe-mock: %v", err)
	}
	if swept.Customers+swept.Products+swept.Apps+swept.Keys != 0 || log.Len() != 0 {
		t.Errorf("swept %s (%q) of stripe-mock's unmarked fixtures; want nothing", swept, log.String())
	}
}
