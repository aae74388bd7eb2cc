package provider

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/plancache"
	"github.com/clawdrun/terraform-provider-launchpad/internal/runplan"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// settings are the provider's resolved configuration: the config value, else the environment
// variable, else the default.
type settings struct {
	store                  string
	platformSecret         string
	platformSecretPrevious string
	flyToken               string
	flyOrg                 string
	flyBaseURL             string
	openRouterKey          string
	openRouterBaseURL      string
	pooledKey              string
	openRouterBatchReads   bool
}

// resolve fills into from v, or from the environment variable env, or dflt. An unknown value
// (one that depends on a resource not yet created) cannot configure a provider: that is an
// error on the attribute, naming the variable to use instead.
func (s *settings) resolve(diags *diag.Diagnostics, v types.String, p path.Path, env, dflt string, into *string) {
	if v.IsUnknown() {
		unknownSetting(diags, p, env)
		return
	}
	switch {
	case !v.IsNull():
		*into = v.ValueString()
	case os.Getenv(env) != "":
		*into = os.Getenv(env)
	default:
		*into = dflt
	}
}

// resolveBool is resolve for a boolean setting: the environment variable takes true/false
// (or 1/0); anything else is an error naming the variable.
func (s *settings) resolveBool(diags *diag.Diagnostics, v types.Bool, p path.Path, env string, dflt bool, into *bool) {
	if v.IsUnknown() {
		unknownSetting(diags, p, env)
		return
	}
	switch raw := os.Getenv(env); {
	case !v.IsNull():
		*into = v.ValueBool()
	case raw != "":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			diags.AddAttributeError(p, "Invalid provider setting",
				fmt.Sprintf("The environment variable %s is %q; set it to true or false (or leave it unset for %t).", env, raw, dflt))
			return
		}
		*into = b
	default:
		*into = dflt
	}
}

// unknownSetting reports a setting that depends on a resource not yet created, naming the
// variable to use instead.
func unknownSetting(diags *diag.Diagnostics, p path.Path, env string) {
	diags.AddAttributeError(p, "Unknown provider setting",
		fmt.Sprintf("The provider cannot be configured with a value that is only known after apply. "+
			"Set %s to a known value, or leave it out and set the environment variable %s.", p, env))
}

// providerData is handed to every resource and data source. It opens each dependency on first
// use and keeps it for the life of the provider process, so that a plan of a thousand
// resources opens the store once.
type providerData struct {
	settings settings
	now      func() time.Time
	// run is what this run (one Configure: one plan or apply walk) plans through the provider.
	run *runplan.Run

	store   lazy[launchpad.Store]
	keyring lazy[*envelope.Keyring]
	runtime lazy[launchpad.Runtime]
	issuer  lazy[launchpad.KeyIssuer]
}

// lazy is a dependency opened on first use and kept, or the reasons it could not be opened.
type lazy[T any] struct {
	once  sync.Once
	value T
	diags diag.Diagnostics
}

// get opens the dependency with open the first time, and returns it.
func (l *lazy[T]) get(open func(diags *diag.Diagnostics) T) (T, diag.Diagnostics) {
	l.once.Do(func() { l.value = open(&l.diags) })
	return l.value, l.diags
}

func newProviderData(s settings, now func() time.Time) *providerData {
	return &providerData{settings: s, now: now, run: runplan.New()}
}

// Store opens LAUNCHPAD_STORE on first use.
func (d *providerData) Store(ctx context.Context) (launchpad.Store, diag.Diagnostics) {
	return d.store.get(func(diags *diag.Diagnostics) launchpad.Store {
		// The store outlives this request: open it on a context that is never cancelled.
		st, err := store.Open(context.WithoutCancel(ctx), d.settings.store)
		if err != nil {
			diags.AddError("Cannot open the Launchpad store",
				fmt.Sprintf("Opening the store set by the provider attribute \"store\" (or LAUNCHPAD_STORE) failed: %s",
					launchpad.ErrorMessage(err)))
			return nil
		}
		return plancache.New(st, d.now)
	})
}

// checkPlatformSecret runs when the provider is configured, so that every plan checks it
// before anything is changed: a platform secret that is set must be at least 32 bytes, and
// must be the store's (envelope.Keyring.CheckStore): a different PLATFORM_SECRET — a new
// shell's random one, one rotate-secret retired — fails here, once, naming the attribute,
// instead of destroying tenants it then cannot rebuild. Without a secret nothing is checked:
// the resources that need one say so.
func (d *providerData) checkPlatformSecret(ctx context.Context, diags *diag.Diagnostics) {
	secret, previous := d.settings.platformSecret, d.settings.platformSecretPrevious
	if secret == "" {
		return
	}
	switch {
	case len(secret) < envelope.MinSecretLength:
		diags.AddAttributeError(path.Root("platform_secret"), "Platform secret too short",
			fmt.Sprintf("The provider attribute platform_secret (or PLATFORM_SECRET) is %d bytes; it must be at least %d random bytes, "+
				"for example the output of `openssl rand -base64 48`, and the same secret the store's credentials are sealed with.", len(secret), envelope.MinSecretLength))
		return
	case previous != "" && len(previous) < envelope.MinSecretLength:
		diags.AddAttributeError(path.Root("platform_secret_previous"), "Previous platform secret too short",
			fmt.Sprintf("The provider attribute platform_secret_previous (or PLATFORM_SECRET_PREVIOUS) is %d bytes, so it cannot be a "+
				"previous platform secret: set it to the exact old secret during a rotation, or unset it.", len(previous)))
		return
	}
	kr, ds := d.Keyring("the provider")
	if ds.HasError() {
		for _, e := range ds {
			diags.AddAttributeError(path.Root("platform_secret_previous"), e.Summary(), e.Detail())
		}
		return
	}
	st, ds := d.Store(ctx)
	if ds.HasError() {
		return // the resources that use the store report it
	}
	if err := kr.CheckStore(ctx, st); err != nil {
		diags.AddAttributeError(path.Root("platform_secret"), "Platform secret is not the store's",
			"The provider attribute platform_secret (or PLATFORM_SECRET) cannot be used with this store, so nothing was planned: "+errorDetail(err))
	}
}

// Keyring derives the sealing key from the platform secret on first use.
func (d *providerData) Keyring(resourceType string) (*envelope.Keyring, diag.Diagnostics) {
	kr, ds := d.keyring.get(func(diags *diag.Diagnostics) *envelope.Keyring {
		if d.settings.platformSecret == "" {
			diags.AddError("Missing platform secret",
				"Sealing and opening stored keys needs the provider attribute platform_secret or the environment "+
					"variable PLATFORM_SECRET (at least 32 bytes; the control plane must use the same one).")
			return nil
		}
		k, err := envelope.NewKeyring(d.settings.platformSecret, d.settings.platformSecretPrevious)
		if err != nil {
			diags.AddError("Invalid platform secret",
				fmt.Sprintf("The provider attribute platform_secret (PLATFORM_SECRET) or platform_secret_previous "+
					"(PLATFORM_SECRET_PREVIOUS) cannot be used: %s", launchpad.ErrorMessage(err)))
			return nil
		}
		return k
	})
	return kr, withContext(ds, resourceType)
}

// Runtime connects the Fly Machines API client on first use.
func (d *providerData) Runtime(ctx context.Context, resourceType string) (launchpad.Runtime, diag.Diagnostics) {
	rt, ds := d.runtime.get(func(diags *diag.Diagnostics) launchpad.Runtime {
		if d.settings.flyToken == "" {
			diags.AddError("Missing Fly API token",
				"Creating tenants needs the provider attribute fly.api_token or the environment variable FLY_API_TOKEN.")
		}
		if d.settings.flyOrg == "" {
			diags.AddError("Missing Fly organization",
				"Creating tenants needs the provider attribute fly.org or the environment variable FLY_ORG "+
					"(the organization slug the tenant apps belong to).")
		}
		if diags.HasError() {
			return nil
		}
		c, err := fly.New(context.WithoutCancel(ctx), fly.Config{
			BaseURL: d.settings.flyBaseURL,
			Token:   d.settings.flyToken,
			Org:     d.settings.flyOrg,
			Logger:  slog.New(tflogHandler{}),
		})
		if err != nil {
			diags.AddError("Invalid Fly settings",
				fmt.Sprintf("The provider attributes fly.base_url (FLY_FLAPS_BASE_URL) or fly.api_token cannot be used: %s",
					launchpad.ErrorMessage(err)))
			return nil
		}
		return c
	})
	return rt, withContext(ds, resourceType)
}

// KeyIssuer connects the OpenRouter key-management client on first use.
func (d *providerData) KeyIssuer(resourceType string) (launchpad.KeyIssuer, diag.Diagnostics) {
	issuer, ds := d.issuer.get(func(diags *diag.Diagnostics) launchpad.KeyIssuer {
		if d.settings.openRouterKey == "" {
			diags.AddError("Missing OpenRouter management key",
				"Minting sub-keys needs the provider attribute openrouter.management_key or the environment variable "+
					"OPENROUTER_MANAGEMENT_KEY.")
			return nil
		}
		c, err := openrouter.New(openrouter.Config{
			BaseURL:       d.settings.openRouterBaseURL,
			ManagementKey: d.settings.openRouterKey,
			Logger:        slog.New(tflogHandler{}),
		})
		if err != nil {
			diags.AddError("Invalid OpenRouter settings",
				fmt.Sprintf("The provider attributes openrouter.base_url (OPENROUTER_API_URL) or "+
					"openrouter.management_key cannot be used: %s", launchpad.ErrorMessage(err)))
			return nil
		}
		if d.settings.openRouterBatchReads {
			return subkey.NewListedKeys(c, d.now, slog.New(tflogHandler{}))
		}
		return c
	})
	return issuer, withContext(ds, resourceType)
}

// withContext prefixes each diagnostic's detail with the resource that needed the setting.
func withContext(in diag.Diagnostics, resourceType string) diag.Diagnostics {
	if len(in) == 0 {
		return nil
	}
	var out diag.Diagnostics
	for _, d := range in {
		out.AddError(d.Summary(), resourceType+": "+d.Detail())
	}
	return out
}
