package tenant

import (
	"context"
	"errors"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Key is a resolved model key: where it comes from, and its plaintext, which exists only in
// memory on its way to Fly.
type Key struct {
	Source     launchpad.KeySource
	SubKeyHash string // the sub-key's hash when Source is KeySourceSubKey
	plaintext  string
}

// KeySource applies launchpad.ResolveKey to what the store holds for the user — a sealed
// BYOK key, the sealed sub-key named by subKeyHash, or the pooled key — without opening
// anything: plans compare the source, only applies need the plaintext. Needs the store.
func (s *Service) KeySource(ctx context.Context, userID, subKeyHash string, plan *launchpad.Plan) (launchpad.KeySource, error) {
	source, _, err := s.keySource(ctx, userID, subKeyHash, plan)
	return source, err
}

func (s *Service) keySource(ctx context.Context, userID, subKeyHash string, plan *launchpad.Plan) (launchpad.KeySource, *launchpad.User, error) {
	u, err := s.store.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) {
		u = &launchpad.User{ID: userID, Plan: launchpad.TrialPlan}
	} else if err != nil {
		return "", nil, launchpad.Wrapf(err, "reading user %s", userID)
	}
	avail := launchpad.KeyAvailability{
		HasBYOK:          u.BYOKKey != "",
		HasPooled:        s.pooledKey != "",
		Plan:             plan.Name,
		PlanAllowsPooled: plan.AllowPooledKey,
	}
	if subKeyHash != "" {
		if u.OpenRouterKeyHash != subKeyHash || u.OpenRouterKey == "" {
			return "", nil, launchpad.Errorf(launchpad.EINVALID, "subkey_hash %s is not the sub-key of user %s (the user's is %q); "+
				"set subkey_hash = launchpad_subkey.<name>.hash of that user's key", subKeyHash, userID, u.OpenRouterKeyHash)
		}
		avail.HasSubKey = true
		if k, err := s.store.GetSubKey(ctx, subKeyHash); err == nil {
			avail.SubKeyDisabled = k.Disabled
		}
	}
	source, err := launchpad.ResolveKey(avail)
	return source, u, err
}

// ResolveKey resolves the key source and opens the key it names. Needs the store and the
// keyring.
func (s *Service) ResolveKey(ctx context.Context, userID, subKeyHash string, plan *launchpad.Plan) (*Key, error) {
	source, u, err := s.keySource(ctx, userID, subKeyHash, plan)
	if err != nil {
		return nil, err
	}
	key := &Key{Source: source}
	switch source {
	case launchpad.KeySourceBYOK:
		key.plaintext, err = OpenSealed(ctx, envelope.NewSealer(s.keyring, s.store), u.BYOKKey, userID, "BYOK key")
	case launchpad.KeySourceSubKey:
		key.SubKeyHash = subKeyHash
		key.plaintext, err = OpenSealed(ctx, envelope.NewSealer(s.keyring, s.store), u.OpenRouterKey, userID, "sub-key")
	case launchpad.KeySourcePooled:
		key.plaintext = s.pooledKey
	}
	if err != nil {
		return nil, err
	}
	return key, nil
}

// OpenSealed opens a key sealed into user userID's record; what names it in the error, which
// says what to check when the platform secret does not open it.
func OpenSealed(ctx context.Context, sealer *envelope.Sealer, sealed, userID, what string) (string, error) {
	p, err := sealer.Open(ctx, sealed, userID)
	if errors.Is(err, envelope.ErrKeyErased) {
		return "", launchpad.Errorf(launchpad.EINVALID, "the stored %s of user %s cannot be opened: %s", what, userID, launchpad.ErrorMessage(err))
	}
	if err != nil {
		return "", launchpad.Errorf(launchpad.EINVALID, "the stored %s of user %s does not open with the configured platform secret "+
			"(was PLATFORM_SECRET changed without PLATFORM_SECRET_PREVIOUS and rotate-secret?): %s", what, userID, launchpad.ErrorMessage(err))
	}
	return string(p), nil
}

// StoreBYOK seals a bring-your-own key into the user's record, creating the user if needed,
// or removes the stored key when key is "". It seals only under the store's key
// (envelope.Keyring.ClaimStore). Needs the store and the keyring.
func (s *Service) StoreBYOK(ctx context.Context, userID, key string) error {
	if key != "" {
		if err := s.keyring.ClaimStore(ctx, s.store); err != nil {
			return err
		}
	}
	if _, _, err := launchpad.EnsureUserByID(ctx, s.store, userID); err != nil {
		return err // the user exists before the seal: their key material is created with it
	}
	sealed := ""
	if key != "" {
		var err error
		if sealed, err = envelope.NewSealer(s.keyring, s.store).Seal(ctx, []byte(key), userID); err != nil {
			return err
		}
	}
	_, err := s.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		u.BYOKKey = sealed
		return nil
	})
	return err
}
