package subkey

import (
	"context"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// Rotate replaces a user's sub-key without a moment in which a tenant has no working key: it
// mints the new key under the plan's limit, seals it into the user's record, delivers it to
// every tenant of the user that runs on the old key (restarting running machines), and only
// then revokes the old key. A rotation interrupted after the mint is resumed by running it
// again: the new key of this generation is found in the store and reused, not minted twice.
// Needs the store, the issuer and the keyring, and the runtime when tenants run on the key.
func (s *Service) Rotate(ctx context.Context, oldHash string, plan *launchpad.Plan, name string, generation int64) (*launchpad.SubKey, error) {
	old, err := s.store.GetSubKey(ctx, oldHash)
	if err != nil {
		return nil, launchpad.Wrapf(err, "reading sub-key %s", oldHash)
	}
	tenants, err := s.tenantsOn(ctx, old.UserID, oldHash)
	if err != nil {
		return nil, err
	}
	if len(tenants) > 0 && s.runtime == nil {
		names := make([]string, len(tenants))
		for i, t := range tenants {
			names[i] = t.AppName
		}
		return nil, launchpad.Errorf(launchpad.EINVALID, "rotating the sub-key must deliver the new key to %s, which needs the "+
			"provider's fly settings (fly.api_token / FLY_API_TOKEN and fly.org / FLY_ORG)", strings.Join(names, ", "))
	}

	if err := s.keyring.ClaimStore(ctx, s.store); err != nil {
		return nil, err
	}
	next, plaintext, err := s.resume(ctx, old.UserID, oldHash, generation)
	if err != nil {
		return nil, err
	}
	if next == nil {
		keyName := openRouterName(name, generation)
		if err := s.dropLostKeys(ctx, keyName); err != nil {
			return nil, err
		}
		issued, err := s.issue(ctx, keyName, plan)
		if err != nil {
			return nil, launchpad.Wrapf(err, "minting the rotated key")
		}
		if next, err = s.record(ctx, old.UserID, plan, name, generation, issued); err != nil {
			return nil, launchpad.Wrapf(err, "storing the rotated key %s (the old key %s still works)", issued.Info.Hash, oldHash)
		}
		plaintext = issued.Key
	}

	for _, t := range tenants {
		digest, err := tenant.DeliverKey(ctx, s.runtime, t, plaintext)
		if err != nil {
			return nil, launchpad.Wrapf(err, "delivering the rotated key (the old key %s still works; apply again to resume)", oldHash)
		}
		if _, err := s.store.UpdateTenant(ctx, t.AppName, func(rec *launchpad.Tenant) error {
			rec.SubKeyHash, rec.SecretDigest, rec.MachineState = next.Hash, digest, t.MachineState
			return nil
		}); err != nil {
			return nil, launchpad.Wrapf(err, "recording the rotated key of %s", t.AppName)
		}
	}

	// Every tenant holds the new key: now the old one may go.
	if err := s.issuer.DeleteKey(ctx, oldHash); err != nil && !launchpad.IsNotFound(err) {
		return nil, launchpad.Wrapf(err, "revoking the old key %s after rotation (the new key %s is in place)", oldHash, next.Hash)
	}
	if err := s.store.DeleteSubKey(ctx, oldHash); err != nil && !launchpad.IsNotFound(err) {
		return nil, err
	}
	return next, nil
}

// resume finds a key of this generation minted by an interrupted rotation, with its plaintext
// opened from the user's record. It returns nil when there is none.
func (s *Service) resume(ctx context.Context, userID, oldHash string, generation int64) (*launchpad.SubKey, string, error) {
	keys, err := s.store.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: userID})
	if err != nil {
		return nil, "", err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	for _, k := range keys {
		if k.Hash != oldHash && k.RotationGeneration == generation && u.OpenRouterKeyHash == k.Hash {
			p, err := tenant.OpenSealed(ctx, envelope.NewSealer(s.keyring, s.store), u.OpenRouterKey, userID, "sub-key")
			if err != nil {
				return nil, "", err
			}
			return k, p, nil
		}
	}
	return nil, "", nil
}

// tenantsOn lists the user's tenants whose model key is the given sub-key.
func (s *Service) tenantsOn(ctx context.Context, userID, hash string) ([]*launchpad.Tenant, error) {
	all, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	var out []*launchpad.Tenant
	for _, t := range all {
		if t.KeySource == launchpad.KeySourceSubKey && t.SubKeyHash == hash {
			out = append(out, t)
		}
	}
	return out, nil
}
