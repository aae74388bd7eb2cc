// Package subkey is the lifecycle of a user's OpenRouter sub-key, the model key with a hard
// monthly spend cap: mint it (sealing the plaintext into the user's record, after dropping any
// key a crashed mint left behind), update its limit in place, rotate it (mint, deliver to the
// user's tenants, only then revoke the old one; resumable), revoke it, and disable it at once
// when an operator revokes it. ListedKeys lets many reads share one listing of the keys. The
// Terraform provider calls it for launchpad_subkey, the control plane for revoke-key; it is
// tested in plain Go against the simulators.
//
// Errors are launchpad errors: ENOTFOUND for an unknown key or record, EINVALID when a
// rotation cannot reach the tenants it must re-key, and whatever the store and the issuer
// return.
package subkey

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Config holds a Service's dependencies. Each method names the ones it needs.
type Config struct {
	Store  launchpad.Store
	Issuer launchpad.KeyIssuer
	// Keyring seals minted keys into the user's record and opens them again.
	Keyring *envelope.Keyring
	// Runtime delivers a rotated key to the user's tenants; nil when Fly is not configured,
	// which only a rotation of a key that tenants run on needs.
	Runtime launchpad.Runtime
}

// Service runs sub-key lifecycles over a store, a key issuer and a keyring.
type Service struct {
	store   launchpad.Store
	issuer  launchpad.KeyIssuer
	keyring *envelope.Keyring
	runtime launchpad.Runtime
}

// NewService returns a Service on c's dependencies.
func NewService(c Config) *Service {
	return &Service{store: c.Store, issuer: c.Issuer, keyring: c.Keyring, runtime: c.Runtime}
}

// SealedKeyID is the id of the platform key the user's copy of k is sealed under, read from
// the sealed value's header: it changes when rotate-secret re-seals it, and is "" when the
// user no longer holds k. Needs the store.
func (s *Service) SealedKeyID(ctx context.Context, k *launchpad.SubKey) string {
	u, err := s.store.GetUser(ctx, k.UserID)
	if err != nil || u.OpenRouterKeyHash != k.Hash {
		return ""
	}
	id, _ := envelope.KeyID(u.OpenRouterKey)
	return id
}
