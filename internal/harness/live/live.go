// Package live is what `make testlive` needs to prove Launchpad against the real services —
// a Fly organization, OpenRouter and Stripe in test mode — rather than the simulators: the
// credentials it reads, the recognisable prefix everything it makes is named with, and the
// sweeper that deletes whatever carries that prefix, after a failed or killed run too (as the
// large Terraform providers' sweepers do).
//
// Everything a live run makes is named after a user id that starts with the prefix
// (LAUNCHPAD_LIVE_PREFIX, default "lplive"): tenant apps are lp-<product>-<prefix>…-<ts>
// (the user id's first eight characters are in the app name), sub-keys launchpad-<prefix>…,
// and Stripe test objects carry the metadata launchpad_live=<prefix>.
//
// Only tests and `make testlive` use this package: the product never imports it.
package live

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// The environment a live run reads.
const (
	EnvFlyToken  = "FLY_API_TOKEN"
	EnvFlyOrg    = "FLY_ORG"
	EnvFlyURL    = "FLY_FLAPS_BASE_URL"        // optional: the Machines API (default https://api.machines.dev)
	EnvORKey     = "OPENROUTER_MANAGEMENT_KEY" // a management key: it mints and deletes keys
	EnvORURL     = "OPENROUTER_API_URL"        // optional (default https://openrouter.ai/api/v1)
	EnvStripeKey = "STRIPE_API_KEY"            // a test-mode secret key, sk_test_…
	EnvStripeURL = "STRIPE_API_BASE"           // optional, for the sweep's own tests (stripe-mock); default Stripe's API
	EnvPrefix    = "LAUNCHPAD_LIVE_PREFIX"     // optional, default "lplive"
	EnvRegion    = "LAUNCHPAD_LIVE_REGION"     // optional, default "iad"
	EnvImage     = "LAUNCHPAD_LIVE_IMAGE"      // optional, default DefaultImage
	// EnvLive is set by `make testlive` (cmd/testlive) for the tests it runs: a live test
	// runs only with it, so a developer's shell that happens to hold the credentials does not
	// make `make test` create real apps.
	EnvLive = "LAUNCHPAD_LIVE"
)

// DefaultImage is a small public image that boots on a Fly machine and idles.
const DefaultImage = "flyio/hellofly:latest"

// DefaultPrefix starts the user id, and so the names, of everything a live run makes.
const DefaultPrefix = "lplive"

// prefixPattern keeps the prefix within what an app name's user part can hold (eight
// characters of [a-z0-9], with room for a run's own two).
var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9]{2,5}$`)

// Config is a live run's credentials and settings.
type Config struct {
	FlyToken, FlyOrg, FlyURL string
	ORKey, ORURL             string
	StripeKey                string
	// StripeURL is the Stripe API's address (STRIPE_API_BASE, as for serve): empty (Stripe's)
	// but in tests, which point the sweep at stripe-mock.
	StripeURL             string
	Prefix, Region, Image string
}

// FromEnv reads the configuration. getenv is os.Getenv outside tests.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		FlyToken: getenv(EnvFlyToken), FlyOrg: getenv(EnvFlyOrg), FlyURL: getenv(EnvFlyURL),
		ORKey: getenv(EnvORKey), ORURL: getenv(EnvORURL), StripeKey: getenv(EnvStripeKey), StripeURL: getenv(EnvStripeURL),
		Prefix: getenv(EnvPrefix), Region: getenv(EnvRegion), Image: getenv(EnvImage),
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Region == "" {
		c.Region = "iad"
	}
	if c.Image == "" {
		c.Image = DefaultImage
	}
	return c
}

// Problems says what keeps a live run from starting: the credentials that are not set (by
// name) and settings that are not valid. Empty: the run can go.
func (c Config) Problems() []string {
	var out []string
	if missing := c.Missing(); len(missing) > 0 {
		out = append(out, strings.Join(missing, ", ")+" not set")
	}
	return append(out, c.Refusals()...)
}

// Missing names the required credentials that are not set, sorted.
func (c Config) Missing() []string {
	var missing []string
	for name, v := range map[string]string{EnvFlyToken: c.FlyToken, EnvFlyOrg: c.FlyOrg, EnvORKey: c.ORKey, EnvStripeKey: c.StripeKey} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	return missing
}

// Refusals says which settings a live run refuses outright, whatever else is set: a
// live-mode Stripe key (a live run makes and deletes customers) and a prefix that cannot
// name what it makes.
func (c Config) Refusals() []string {
	var out []string
	if c.StripeKey != "" && !strings.HasPrefix(c.StripeKey, "sk_test_") && !strings.HasPrefix(c.StripeKey, "rk_test_") {
		out = append(out, EnvStripeKey+" is not a test-mode key (sk_test_… or rk_test_…): a live run never touches live-mode Stripe")
	}
	if !prefixPattern.MatchString(c.Prefix) {
		out = append(out, fmt.Sprintf("%s %q: use 3 to 6 lower-case letters and digits, starting with a letter", EnvPrefix, c.Prefix))
	}
	return out
}

// Enabled reports whether this process runs live tests: `make testlive` sets LAUNCHPAD_LIVE=1
// once the credentials check out.
func Enabled() bool { return os.Getenv(EnvLive) == "1" }

// UserID returns a fresh user id for a live run: the prefix and two random characters, so
// that runs that overlap do not share a tenant, and every name made for it starts with the
// prefix.
func (c Config) UserID() string {
	return c.Prefix + stack.RandomHex(1)
}

// OwnsApp reports whether an app name is a live run's: lp-<product>-<prefix>…-<ts>.
func (c Config) OwnsApp(name string) bool {
	parts := strings.Split(name, "-")
	return len(parts) >= 4 && parts[0] == "lp" && strings.HasPrefix(parts[2], c.Prefix)
}

// OwnsKey reports whether an OpenRouter key name is a live run's sub-key:
// launchpad-<prefix>… (and its rotations).
func (c Config) OwnsKey(name string) bool {
	return strings.HasPrefix(name, "launchpad-"+c.Prefix)
}
