package subkey

import (
	"context"
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Revoke deletes the key at OpenRouter, then the user's sealed copy and the key's record.
// Each step treats "already gone" as done, so a half-finished revocation can be run again.
// Needs the store and the issuer.
func (s *Service) Revoke(ctx context.Context, userID, hash string) error {
	if err := s.issuer.DeleteKey(ctx, hash); err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	_, err := s.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		if u.OpenRouterKeyHash == hash {
			u.OpenRouterKey, u.OpenRouterKeyHash = "", ""
		}
		return nil
	})
	if err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	if err := s.store.DeleteSubKey(ctx, hash); err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	return nil
}

// DisabledNotice says, when a disabled key is planned, that the apply leaves it disabled and
// how to give the user a working key again.
func DisabledNotice(hash, userID string) string {
	return fmt.Sprintf("The sub-key %s of user %s is disabled at OpenRouter (revoked by an operator): the user's tenants cannot call "+
		"models with it, and this apply does not re-enable it. Bump rotation_generation to mint a new key, or re-enable "+
		"this one at OpenRouter if the revocation is over.", hash, userID)
}

// Disable stops a key spending at once, keeping it: it disables the key at OpenRouter (from
// then on completions with it answer 401), then marks its record disabled, so that the
// provider and the dashboard see it revoked before their next refresh. The user keeps the key
// as their sub-key: a disabled key is still preferred to the pooled key, which has no
// per-tenant cap. When only the record could not be marked, the error is a
// *StaleRecordError: the key spends nothing all the same. Needs the store and the issuer.
func (s *Service) Disable(ctx context.Context, hash string) error {
	disabled := true
	if _, err := s.issuer.UpdateKey(ctx, hash, launchpad.KeyUpdate{Disabled: &disabled}); err != nil {
		return launchpad.Wrapf(err, "disabling sub-key %s at OpenRouter", hash)
	}
	if _, err := s.store.UpdateSubKey(ctx, hash, func(k *launchpad.SubKey) error {
		k.Disabled = true
		return nil
	}); err != nil && !launchpad.IsNotFound(err) {
		return &StaleRecordError{Hash: hash, Err: err}
	}
	return nil
}

// StaleRecordError is Disable's report that the key is disabled at OpenRouter but its record
// still says otherwise; the next refresh of the key corrects it.
type StaleRecordError struct {
	Hash string
	Err  error // the store's error
}

func (e *StaleRecordError) Error() string {
	return fmt.Sprintf("sub-key %s is disabled at OpenRouter, but its record was not updated: %s", e.Hash, launchpad.ErrorMessage(e.Err))
}

func (e *StaleRecordError) Unwrap() error { return e.Err }
