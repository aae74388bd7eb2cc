package subkey

import (
	"context"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Held returns the hash of the sub-key the user holds, or "". A recorded key that no longer
// exists at OpenRouter (deleted outside Launchpad) is not held: its sealed copy and record are
// dropped here, so the key can be minted again instead of the apply failing. Needs the store
// and the issuer.
func (s *Service) Held(ctx context.Context, userID string) (string, error) {
	u, err := s.store.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) || (err == nil && u.OpenRouterKeyHash == "") {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, err = s.issuer.GetKey(ctx, u.OpenRouterKeyHash)
	if !launchpad.IsNotFound(err) {
		return u.OpenRouterKeyHash, err
	}
	return "", s.Revoke(ctx, userID, u.OpenRouterKeyHash)
}

// Holds returns the hash of the sub-key a new key of the user would be a second of: the one
// the store records, unless the issuer (when the Service has one) says it no longer exists
// at OpenRouter — Held then drops it when the key is minted. "" when there is none. It only
// reads, for a plan to check. Needs the store.
func (s *Service) Holds(ctx context.Context, userID string) string {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil || u.OpenRouterKeyHash == "" {
		return ""
	}
	if s.issuer != nil {
		if _, err := s.issuer.GetKey(ctx, u.OpenRouterKeyHash); launchpad.IsNotFound(err) {
			return ""
		}
	}
	return u.OpenRouterKeyHash
}

// Mint mints a key at OpenRouter with the plan's limit, reset monthly, BYOK usage not counted,
// named for name and the rotation generation; seals it into the user's record (creating the
// user if needed) and stores the sub-key record. If storing fails the fresh key is deleted
// again, so no key exists that the store does not know. Needs the store, the issuer and the
// keyring.
func (s *Service) Mint(ctx context.Context, userID string, plan *launchpad.Plan, name string, generation int64) (*launchpad.SubKey, error) {
	// A key this process could not seal for the others is not minted at all.
	if err := s.keyring.ClaimStore(ctx, s.store); err != nil {
		return nil, err
	}
	keyName := openRouterName(name, generation)
	if err := s.dropLostKeys(ctx, keyName); err != nil {
		return nil, err
	}
	issued, err := s.issue(ctx, keyName, plan)
	if err != nil {
		return nil, err
	}
	k, err := s.record(ctx, userID, plan, name, generation, issued)
	if err != nil {
		if derr := s.issuer.DeleteKey(context.WithoutCancel(ctx), issued.Info.Hash); derr != nil && !launchpad.IsNotFound(derr) {
			return nil, launchpad.Errorf(launchpad.ErrorCode(err), "%s (and the freshly minted key %s could not be deleted again: %s; delete it at OpenRouter)",
				launchpad.ErrorMessage(err), issued.Info.Hash, launchpad.ErrorMessage(derr))
		}
		return nil, err
	}
	return k, nil
}

// issue mints the key itself: the plan's limit as a hard cap, reset monthly, and BYOK usage
// not counted against it.
func (s *Service) issue(ctx context.Context, keyName string, plan *launchpad.Plan) (*launchpad.IssuedKey, error) {
	limit := plan.MonthlySpendLimitUSD
	return s.issuer.CreateKey(ctx, launchpad.KeySpec{
		Name:               keyName,
		LimitUSD:           &limit,
		LimitReset:         launchpad.LimitResetMonthly,
		IncludeBYOKInLimit: false,
	})
}

// record seals a freshly issued key into the user's record and stores its sub-key record. The
// keyring must be the store's (envelope.Keyring.ClaimStore): a key sealed under another would
// open nowhere else.
func (s *Service) record(ctx context.Context, userID string, plan *launchpad.Plan, name string, generation int64, issued *launchpad.IssuedKey) (*launchpad.SubKey, error) {
	if err := s.keyring.ClaimStore(ctx, s.store); err != nil {
		return nil, err
	}
	// The user exists before the seal: their key material is created with it.
	if _, _, err := launchpad.EnsureUserByID(ctx, s.store, userID); err != nil {
		return nil, err
	}
	sealed, err := envelope.NewSealer(s.keyring, s.store).Seal(ctx, []byte(issued.Key), userID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		u.OpenRouterKey = sealed
		u.OpenRouterKeyHash = issued.Info.Hash
		return nil
	}); err != nil {
		return nil, err
	}
	k := &launchpad.SubKey{
		Hash:               issued.Info.Hash,
		UserID:             userID,
		Plan:               plan.Name,
		Name:               name,
		LimitUSD:           plan.MonthlySpendLimitUSD,
		LimitReset:         launchpad.LimitResetMonthly,
		IncludeBYOKInLimit: false,
		RotationGeneration: generation,
	}
	if issued.Info.LimitUSD != nil {
		k.LimitUSD = *issued.Info.LimitUSD
	}
	if err := s.store.CreateSubKey(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// openRouterName is the name of the key at OpenRouter: the sub-key's name, and the rotation
// generation after the first key, so each generation's key is found again by name.
func openRouterName(name string, generation int64) string {
	if generation == 0 {
		return name
	}
	return name + " r" + strconv.FormatInt(generation, 10)
}

// dropLostKeys deletes keys named keyName that the store does not record. Such a key was
// minted for a process that died before it sealed the plaintext (a killed control plane, a
// killed tofu): nobody can use it or will ever find it again, so it goes before a new one is
// minted under that name.
func (s *Service) dropLostKeys(ctx context.Context, keyName string) error {
	keys, err := s.issuer.ListKeys(ctx)
	if err != nil {
		return launchpad.Wrapf(err, "listing keys before minting %q", keyName)
	}
	for _, k := range keys {
		if k.Name != keyName {
			continue
		}
		if _, err := s.store.GetSubKey(ctx, k.Hash); !launchpad.IsNotFound(err) {
			if err != nil {
				return err
			}
			continue // a recorded key is not lost
		}
		if err := s.issuer.DeleteKey(ctx, k.Hash); err != nil && !launchpad.IsNotFound(err) {
			return launchpad.Wrapf(err, "deleting the lost key %s", k.Hash)
		}
	}
	return nil
}
