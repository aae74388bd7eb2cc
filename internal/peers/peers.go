// Package peers opens what the Terraform provider runs on — the Launchpad store, the keyring
// derived from the platform secret, the Fly Machines API and OpenRouter's key-management API —
// from the provider's settings. Each is opened on first use and kept for the life of the
// process, so that a plan of a thousand resources opens the store once, and a missing Fly
// token only troubles the resources that use Fly.
//
// A setting that is missing or cannot be used is a Problem that names the provider attribute
// and the environment variable that set it.
package peers

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/plancache"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// Settings are the provider's resolved configuration: the config value, else the environment
// variable, else the default.
type Settings struct {
	Store                  string
	PlatformSecret         string
	PlatformSecretPrevious string
	FlyToken               string
	FlyOrg                 string
	FlyBaseURL             string
	OpenRouterKey          string
	OpenRouterBaseURL      string
	PooledKey              string
	OpenRouterBatchReads   bool
}

// The resource types whose lifecycles Tenants and SubKeys serve, as problems name them.
const (
	TenantType = "launchpad_tenant"
	SubKeyType = "launchpad_subkey"
)

// Problem is a setting that is missing or cannot be used: what is wrong, and what to set.
type Problem struct {
	Summary, Detail string
	// Attr is the provider attribute at fault, where one is ("platform_secret").
	Attr string
	// Err is the cause, to be shown after Detail, where there is one.
	Err error
}

// Peers opens each peer on first use and keeps it, or the problems that kept it from opening.
type Peers struct {
	Settings Settings
	now      func() time.Time
	log      *slog.Logger

	store   lazy[launchpad.Store]
	keyring lazy[*envelope.Keyring]
	runtime lazy[launchpad.Runtime]
	issuer  lazy[launchpad.KeyIssuer]
}

// New returns the peers of s. now stamps the store's plan cache and the key listing's age; the
// clients log to log.
func New(s Settings, now func() time.Time, log *slog.Logger) *Peers {
	return &Peers{Settings: s, now: now, log: log}
}

// lazy is a peer opened on first use and kept, or the problems that kept it from opening.
type lazy[T any] struct {
	once     sync.Once
	value    T
	problems []Problem
}

// get opens the peer with open the first time, and returns it; each problem's detail starts
// with user, what needed the peer, where that is not "".
func (l *lazy[T]) get(user string, open func(problems *[]Problem) T) (T, []Problem) {
	l.once.Do(func() { l.value = open(&l.problems) })
	if len(l.problems) == 0 {
		return l.value, nil
	}
	out := make([]Problem, len(l.problems))
	for i, p := range l.problems {
		if user != "" {
			p.Detail = user + ": " + p.Detail
		}
		out[i] = p
	}
	return l.value, out
}

// Store opens the store (LAUNCHPAD_STORE), with the plan cache in front of it.
func (p *Peers) Store(ctx context.Context) (launchpad.Store, []Problem) {
	return p.store.get("", func(problems *[]Problem) launchpad.Store {
		// The store outlives this request: open it on a context that is never cancelled.
		st, err := store.Open(context.WithoutCancel(ctx), p.Settings.Store)
		if err != nil {
			*problems = append(*problems, Problem{Summary: "Cannot open the Launchpad store",
				Detail: fmt.Sprintf("Opening the store set by the provider attribute \"store\" (or LAUNCHPAD_STORE) failed: %s",
					launchpad.ErrorMessage(err))})
			return nil
		}
		return plancache.New(st, p.now)
	})
}

// Keyring derives the sealing key from the platform secret (and the previous one). Its
// problems name user, what needs it (a resource type), before the detail; so do Runtime's and
// KeyIssuer's.
func (p *Peers) Keyring(user string) (*envelope.Keyring, []Problem) {
	return p.keyring.get(user, func(problems *[]Problem) *envelope.Keyring {
		if p.Settings.PlatformSecret == "" {
			*problems = append(*problems, Problem{Summary: "Missing platform secret",
				Detail: "Sealing and opening stored keys needs the provider attribute platform_secret or the environment " +
					"variable PLATFORM_SECRET (at least 32 bytes; the control plane must use the same one)."})
			return nil
		}
		k, err := envelope.NewKeyring(p.Settings.PlatformSecret, p.Settings.PlatformSecretPrevious)
		if err != nil {
			*problems = append(*problems, Problem{Summary: "Invalid platform secret",
				Detail: fmt.Sprintf("The provider attribute platform_secret (PLATFORM_SECRET) or platform_secret_previous "+
					"(PLATFORM_SECRET_PREVIOUS) cannot be used: %s", launchpad.ErrorMessage(err))})
			return nil
		}
		return k
	})
}

// Runtime connects the Fly Machines API client.
func (p *Peers) Runtime(ctx context.Context, user string) (launchpad.Runtime, []Problem) {
	return p.runtime.get(user, func(problems *[]Problem) launchpad.Runtime {
		if p.Settings.FlyToken == "" {
			*problems = append(*problems, Problem{Summary: "Missing Fly API token",
				Detail: "Creating tenants needs the provider attribute fly.api_token or the environment variable FLY_API_TOKEN."})
		}
		if p.Settings.FlyOrg == "" {
			*problems = append(*problems, Problem{Summary: "Missing Fly organization",
				Detail: "Creating tenants needs the provider attribute fly.org or the environment variable FLY_ORG " +
					"(the organization slug the tenant apps belong to)."})
		}
		if len(*problems) > 0 {
			return nil
		}
		c, err := fly.New(context.WithoutCancel(ctx), fly.Config{
			BaseURL: p.Settings.FlyBaseURL,
			Token:   p.Settings.FlyToken,
			Org:     p.Settings.FlyOrg,
			Logger:  p.log,
		})
		if err != nil {
			*problems = append(*problems, Problem{Summary: "Invalid Fly settings",
				Detail: fmt.Sprintf("The provider attributes fly.base_url (FLY_FLAPS_BASE_URL) or fly.api_token cannot be used: %s",
					launchpad.ErrorMessage(err))})
			return nil
		}
		return c
	})
}

// KeyIssuer connects the OpenRouter key-management client, behind one listing of the keys for
// many reads (subkey.ListedKeys) when batch reads are on.
func (p *Peers) KeyIssuer(user string) (launchpad.KeyIssuer, []Problem) {
	return p.issuer.get(user, func(problems *[]Problem) launchpad.KeyIssuer {
		if p.Settings.OpenRouterKey == "" {
			*problems = append(*problems, Problem{Summary: "Missing OpenRouter management key",
				Detail: "Minting sub-keys needs the provider attribute openrouter.management_key or the environment variable " +
					"OPENROUTER_MANAGEMENT_KEY."})
			return nil
		}
		c, err := openrouter.New(openrouter.Config{
			BaseURL:       p.Settings.OpenRouterBaseURL,
			ManagementKey: p.Settings.OpenRouterKey,
			Logger:        p.log,
		})
		if err != nil {
			*problems = append(*problems, Problem{Summary: "Invalid OpenRouter settings",
				Detail: fmt.Sprintf("The provider attributes openrouter.base_url (OPENROUTER_API_URL) or "+
					"openrouter.management_key cannot be used: %s", launchpad.ErrorMessage(err))})
			return nil
		}
		if p.Settings.OpenRouterBatchReads {
			return subkey.NewListedKeys(c, p.now, p.log)
		}
		return c
	})
}

// CheckPlatformSecret checks a platform secret that is set, before anything is changed: it and
// the previous one are at least envelope.MinSecretLength bytes, a keyring derives from them,
// and it is the store's (envelope.Keyring.CheckStore), so that a different PLATFORM_SECRET
// fails once, naming the attribute, instead of sealing what no other process can open.
// Without a secret nothing is checked; a store that cannot be opened is left to what uses it.
func (p *Peers) CheckPlatformSecret(ctx context.Context) []Problem {
	secret, previous := p.Settings.PlatformSecret, p.Settings.PlatformSecretPrevious
	switch {
	case secret == "":
		return nil
	case len(secret) < envelope.MinSecretLength:
		return []Problem{{Attr: "platform_secret", Summary: "Platform secret too short",
			Detail: fmt.Sprintf("The provider attribute platform_secret (or PLATFORM_SECRET) is %d bytes; it must be at least %d random bytes, "+
				"for example the output of `openssl rand -base64 48`, and the same secret the store's credentials are sealed with.", len(secret), envelope.MinSecretLength)}}
	case previous != "" && len(previous) < envelope.MinSecretLength:
		return []Problem{{Attr: "platform_secret_previous", Summary: "Previous platform secret too short",
			Detail: fmt.Sprintf("The provider attribute platform_secret_previous (or PLATFORM_SECRET_PREVIOUS) is %d bytes, so it cannot be a "+
				"previous platform secret: set it to the exact old secret during a rotation, or unset it.", len(previous))}}
	}
	kr, problems := p.Keyring("the provider")
	if len(problems) > 0 {
		for i := range problems {
			problems[i].Attr = "platform_secret_previous"
		}
		return problems
	}
	st, problems := p.Store(ctx)
	if len(problems) > 0 {
		return nil // the resources that use the store report it
	}
	if err := kr.CheckStore(ctx, st); err != nil {
		return []Problem{{Attr: "platform_secret", Summary: "Platform secret is not the store's", Err: err,
			Detail: "The provider attribute platform_secret (or PLATFORM_SECRET) cannot be used with this store, so nothing was planned: "}}
	}
	return nil
}

// Tenants is the tenant lifecycle on the store and Fly, with the keyring when withKeyring (the
// operation seals or opens keys); nil, with the problems, when one of them is not configured.
func (p *Peers) Tenants(ctx context.Context, withKeyring bool) (*tenant.Service, []Problem) {
	st, kr, problems := p.storeAndKeyring(ctx, withKeyring, TenantType)
	rt, more := p.Runtime(ctx, TenantType)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, problems
	}
	return tenant.NewService(tenant.Config{
		Store: st, Runtime: rt, Keyring: kr,
		Org: p.Settings.FlyOrg, PooledKey: p.Settings.PooledKey, Now: p.now,
	}), nil
}

// SubKeys is the sub-key lifecycle on the store and OpenRouter, with the keyring when
// withKeyring (the operation seals or opens keys) and with rt (nil when Fly is not configured)
// when a rotation delivers the new key to tenants; nil, with the problems, when one of them is
// not configured.
func (p *Peers) SubKeys(ctx context.Context, withKeyring bool, rt launchpad.Runtime) (*subkey.Service, []Problem) {
	st, kr, problems := p.storeAndKeyring(ctx, withKeyring, SubKeyType)
	issuer, more := p.KeyIssuer(SubKeyType)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, problems
	}
	return subkey.NewService(subkey.Config{Store: st, Issuer: issuer, Keyring: kr, Runtime: rt}), nil
}

// storeAndKeyring opens the store, and the keyring if asked, for user.
func (p *Peers) storeAndKeyring(ctx context.Context, withKeyring bool, user string) (launchpad.Store, *envelope.Keyring, []Problem) {
	st, problems := p.Store(ctx)
	if !withKeyring {
		return st, nil, problems
	}
	kr, more := p.Keyring(user)
	return st, kr, append(problems, more...)
}

// Planner is the tenant lifecycle a plan-time check uses: the store, Fly when it is configured,
// and, withKeyring, the keyring, whose absence is a problem, as it would be at apply time. It
// is nil when the store cannot be opened (what uses the store reports that) or the keyring is
// missing.
func (p *Peers) Planner(ctx context.Context, withKeyring bool) (*tenant.Service, []Problem) {
	st, problems := p.Store(ctx)
	if len(problems) > 0 {
		return nil, nil
	}
	c := tenant.Config{Store: st, PooledKey: p.Settings.PooledKey}
	if rt, problems := p.Runtime(ctx, TenantType); len(problems) == 0 {
		c.Runtime = rt
	}
	if withKeyring {
		kr, problems := p.Keyring(TenantType)
		if len(problems) > 0 {
			return nil, problems
		}
		c.Keyring = kr
	}
	return tenant.NewService(c), nil
}
