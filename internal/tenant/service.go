// Package tenant is the lifecycle of one user's isolated tenant at Fly: observe what exists,
// create it (the app-name rule, and a claim in the store before anything exists at Fly, so an
// interrupted create resumes under the same name), reconcile it with what is wanted (repair
// drift, resize, extend the volume, rebuild, re-resolve and deliver the model key), tear it
// down, and adopt one that is imported. The Terraform provider calls it for launchpad_tenant;
// it is tested in plain Go against the simulators.
//
// Errors are launchpad errors: ENOTFOUND when the tenant's app is gone at Fly, ECONFLICT when
// the user already has a tenant of the product (or an app name is taken), EINVALID when no
// model key can be resolved, and whatever the store and the runtime return.
package tenant

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config holds a Service's dependencies. Each method names the ones it needs, so a caller
// that only plans or reads need not configure the rest (reads never need the keyring).
type Config struct {
	Store   launchpad.Store
	Runtime launchpad.Runtime
	// Keyring seals BYOK keys and opens stored keys on their way to Fly.
	Keyring *envelope.Keyring
	// Org is the Fly organization that tenant apps are created in.
	Org string
	// PooledKey is the platform's shared model key, "" when there is none.
	PooledKey string
	// Now stamps new app names; nil means time.Now.
	Now func() time.Time
}

// Service runs tenant lifecycles over a store, a runtime and a keyring.
type Service struct {
	store     launchpad.Store
	runtime   launchpad.Runtime
	keyring   *envelope.Keyring
	org       string
	pooledKey string
	now       func() time.Time
}

// NewService returns a Service on c's dependencies.
func NewService(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Service{store: c.Store, runtime: c.Runtime, keyring: c.Keyring, org: c.Org, pooledKey: c.PooledKey, now: c.Now}
}

// Boundary is a tenant as it stands at Fly: its record, with the parts that exist, and the
// sizes Fly reports. A part that is missing has an empty id.
type Boundary struct {
	Tenant       *launchpad.Tenant
	VolumeSizeGB int
	Guest        launchpad.Guest // the machine's size as Fly last reported it
	// Created lists what this run made at Fly, so that a failed create can say what the
	// half-made tenant holds.
	Created []string
	// Reset is the old workspace a reset kept as a snapshot in this run; nil otherwise.
	Reset *Retained

	machine *launchpad.Machine // as Observe found it, for AdoptMachine
}
