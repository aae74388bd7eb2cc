package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Environment variables of the dashboard (LAUNCHPAD_PUBLIC_URL is the server's).
const (
	EnvBillingPortalURL = settings.BillingPortalURL
	EnvCheckoutURL      = settings.BillingCheckoutURL
)

// LoadEnv reads the billing links from getenv. Both are optional; a value that is not an
// absolute http(s) URL is an error naming its variable.
func LoadEnv(getenv func(string) string) (Config, error) {
	c := Config{
		BillingPortalURL: strings.TrimSpace(getenv(EnvBillingPortalURL)),
		CheckoutURL:      strings.TrimSpace(getenv(EnvCheckoutURL)),
	}
	var errs []error
	for _, p := range c.linkProblems() {
		errs = append(errs, errors.New(p))
	}
	return c, errors.Join(errs...)
}

// problems lists every invalid field of c.
func (c Config) problems() []string {
	var out []string
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out = append(out, fmt.Sprintf("Config.PublicURL %q is not an http(s) URL like https://launchpad.example.com (LAUNCHPAD_PUBLIC_URL)", c.PublicURL))
	}
	return append(out, c.linkProblems()...)
}

func (c Config) linkProblems() []string {
	var out []string
	for _, l := range []struct{ env, value, example string }{
		{EnvBillingPortalURL, c.BillingPortalURL, "https://billing.stripe.com/p/login/..."},
		{EnvCheckoutURL, c.CheckoutURL, "https://buy.stripe.com/..."},
	} {
		if l.value == "" {
			continue
		}
		u, err := url.Parse(l.value)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
			out = append(out, fmt.Sprintf("%s %q is not an absolute https URL like %s; set it to the link Stripe gives you, or leave it unset to hide the link", l.env, launchpad.Clip(l.value, 100), l.example))
		}
	}
	return out
}
