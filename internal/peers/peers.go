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

// Problem is a setting that is missing or cannot be used: what is wrong, and what to set.
type Problem struct {
	Summary, Detail string
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

// get opens the peer with open the first time, and returns it.
func (l *lazy[T]) get(open func(problems *[]Problem) T) (T, []Problem) {
	l.once.Do(func() { l.value = open(&l.problems) })
	return l.value, l.problems
}

// Store opens the store (LAUNCHPAD_STORE), with the plan cache in front of it.
func (p *Peers) Store(ctx context.Context) (launchpad.Store, []Problem) {
	return p.store.get(func(problems *[]Problem) launchpad.Store {
		// The store outlives this request: open it on a context that is never cancelled.
		st, err := store.Open(context.WithoutCancel(ctx), p.Settings.Store)
		if err != nil {
			*problems = append(*problems, Problem{"Cannot open the Launchpad store",
				fmt.Sprintf("Opening the store set by the provider attribute \"store\" (or LAUNCHPAD_STORE) failed: %s",
					launchpad.ErrorMessage(err))})
			return nil
		}
		return plancache.New(st, p.now)
	})
}

// Keyring derives the sealing key from the platform secret (and the previous one).
func (p *Peers) Keyring() (*envelope.Keyring, []Problem) {
	return p.keyring.get(func(problems *[]Problem) *envelope.Keyring {
		if p.Settings.PlatformSecret == "" {
			*problems = append(*problems, Problem{"Missing platform secret",
				"Sealing and opening stored keys needs the provider attribute platform_secret or the environment " +
					"variable PLATFORM_SECRET (at least 32 bytes; the control plane must use the same one)."})
			return nil
		}
		k, err := envelope.NewKeyring(p.Settings.PlatformSecret, p.Settings.PlatformSecretPrevious)
		if err != nil {
			*problems = append(*problems, Problem{"Invalid platform secret",
				fmt.Sprintf("The provider attribute platform_secret (PLATFORM_SECRET) or platform_secret_previous "+
					"(PLATFORM_SECRET_PREVIOUS) cannot be used: %s", launchpad.ErrorMessage(err))})
			return nil
		}
		return k
	})
}

// Runtime connects the Fly Machines API client.
func (p *Peers) Runtime(ctx context.Context) (launchpad.Runtime, []Problem) {
	return p.runtime.get(func(problems *[]Problem) launchpad.Runtime {
		if p.Settings.FlyToken == "" {
			*problems = append(*problems, Problem{"Missing Fly API token",
				"Creating tenants needs the provider attribute fly.api_token or the environment variable FLY_API_TOKEN."})
		}
		if p.Settings.FlyOrg == "" {
			*problems = append(*problems, Problem{"Missing Fly organization",
				"Creating tenants needs the provider attribute fly.org or the environment variable FLY_ORG " +
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
			*problems = append(*problems, Problem{"Invalid Fly settings",
				fmt.Sprintf("The provider attributes fly.base_url (FLY_FLAPS_BASE_URL) or fly.api_token cannot be used: %s",
					launchpad.ErrorMessage(err))})
			return nil
		}
		return c
	})
}

// KeyIssuer connects the OpenRouter key-management client, behind one listing of the keys for
// many reads (subkey.ListedKeys) when batch reads are on.
func (p *Peers) KeyIssuer() (launchpad.KeyIssuer, []Problem) {
	return p.issuer.get(func(problems *[]Problem) launchpad.KeyIssuer {
		if p.Settings.OpenRouterKey == "" {
			*problems = append(*problems, Problem{"Missing OpenRouter management key",
				"Minting sub-keys needs the provider attribute openrouter.management_key or the environment variable " +
					"OPENROUTER_MANAGEMENT_KEY."})
			return nil
		}
		c, err := openrouter.New(openrouter.Config{
			BaseURL:       p.Settings.OpenRouterBaseURL,
			ManagementKey: p.Settings.OpenRouterKey,
			Logger:        p.log,
		})
		if err != nil {
			*problems = append(*problems, Problem{"Invalid OpenRouter settings",
				fmt.Sprintf("The provider attributes openrouter.base_url (OPENROUTER_API_URL) or "+
					"openrouter.management_key cannot be used: %s", launchpad.ErrorMessage(err))})
			return nil
		}
		if p.Settings.OpenRouterBatchReads {
			return subkey.NewListedKeys(c, p.now, p.log)
		}
		return c
	})
}
