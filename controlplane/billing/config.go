package billing

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Defaults of the billing settings.
const (
	// DefaultTolerance is how old a webhook's signed timestamp may be (Stripe's own default).
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBody bounds a webhook body; Stripe's events are a few kilobytes.
	DefaultMaxBody = 1 << 20
	// DefaultVolumeRetention is how long a lapsed subscription's tenant, and so its volume, is
	// kept before it is destroyed (LAUNCHPAD_VOLUME_RETENTION).
	DefaultVolumeRetention = launchpad.DefaultVolumeRetention
	// DefaultAPIBase is Stripe's API.
	DefaultAPIBase = "https://api.stripe.com"
)

// Env is billing's configuration as read from the environment by LoadEnv.
type Env struct {
	// WebhookSecrets are the endpoint signing secrets (STRIPE_WEBHOOK_SECRET, comma-separated
	// while a secret is rolled: an event signed with any of them is accepted).
	WebhookSecrets []string
	// APIKey (STRIPE_API_KEY), when set, makes the processor re-fetch each subscription from
	// the Stripe API instead of trusting the event's copy.
	APIKey string
	// APIBase is the Stripe API's base URL (STRIPE_API_BASE; stripe-mock in tests).
	APIBase string
	// PastDueGrace and VolumeRetention: see the defaults.
	PastDueGrace    time.Duration
	VolumeRetention time.Duration
	// RotateOnPlanChange (LAUNCHPAD_ROTATE_ON_PLAN_CHANGE=true) rotates the tenant's sub-key
	// whenever its plan changes, for operators who want a fresh key with every plan; by
	// default a plan change only moves the
	// key's limit in place.
	RotateOnPlanChange bool
}

// LoadEnv reads STRIPE_WEBHOOK_SECRET, STRIPE_API_KEY, STRIPE_API_BASE,
// LAUNCHPAD_PAST_DUE_GRACE, LAUNCHPAD_VOLUME_RETENTION and LAUNCHPAD_ROTATE_ON_PLAN_CHANGE. Unset values get their defaults;
// an unset STRIPE_WEBHOOK_SECRET is allowed (the webhook then answers 503 and says why). The
// error lists every invalid setting without echoing a secret.
func LoadEnv(getenv func(string) string) (Env, error) {
	e := Env{APIKey: strings.TrimSpace(getenv(settings.StripeAPIKey)), APIBase: strings.TrimSpace(getenv(settings.StripeAPIBase))}
	var problems []error
	var err error
	if e.WebhookSecrets, err = ParseWebhookSecrets(getenv(settings.StripeWebhookSecret)); err != nil {
		problems = append(problems, err)
	}
	if e.APIBase == "" {
		e.APIBase = DefaultAPIBase
	} else if u, err := url.Parse(e.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Errorf("STRIPE_API_BASE=%q is not an http(s) URL such as %s", launchpad.Clip(e.APIBase, 80), DefaultAPIBase))
	}
	if e.APIKey != "" && strings.ContainsAny(e.APIKey, " \t\r\n,") {
		problems = append(problems, errors.New("STRIPE_API_KEY holds whitespace or a comma; set it to one secret key (sk_live_… or sk_test_…) or a restricted key (rk_…)"))
	}
	if e.PastDueGrace, err = durationSetting(getenv, settings.PastDueGrace, launchpad.DefaultPastDueGrace); err != nil {
		problems = append(problems, err)
	}
	if e.VolumeRetention, err = durationSetting(getenv, settings.VolumeRetention, DefaultVolumeRetention); err != nil {
		problems = append(problems, err)
	}
	if v := strings.TrimSpace(getenv(settings.RotateOnPlanChange)); v != "" {
		if e.RotateOnPlanChange, err = strconv.ParseBool(v); err != nil {
			problems = append(problems, fmt.Errorf("LAUNCHPAD_ROTATE_ON_PLAN_CHANGE=%q is not true or false (default false)", launchpad.Clip(v, 20)))
		}
	}
	return e, errors.Join(problems...)
}

// ParseWebhookSecrets splits a comma-separated STRIPE_WEBHOOK_SECRET into its secrets. Empty
// input is no secrets; an empty element (",,") or whitespace inside a secret is an error.
func ParseWebhookSecrets(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for i, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return nil, fmt.Errorf("STRIPE_WEBHOOK_SECRET: secret #%d is empty or holds whitespace; set one or more endpoint secrets (whsec_…) separated by commas", i+1)
		}
		out = append(out, s)
	}
	return out, nil
}

// durationSetting reads a duration such as 72h, 90m or 7d (days are allowed here).
func durationSetting(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := launchpad.ParseDuration(v)
	if err != nil || d < 0 || d > 366*24*time.Hour {
		return 0, fmt.Errorf("%s=%q is not valid: use a duration from 0 to 366d such as 72h or 7d (default %s)", name, launchpad.Clip(v, 20), launchpad.FormatDuration(def))
	}
	return d, nil
}
