package subkey

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Applied is a key as its last apply left it.
type Applied struct {
	Hash       string
	LimitUSD   float64
	Generation int64
}

// Change brings the key applied to the plan, the name and the rotation generation wanted: a
// new generation rotates it (Rotate), anything else updates it in place (Update). It returns
// the key and the audit event of what it did. Needs what Rotate or Update needs.
func (s *Service) Change(ctx context.Context, applied Applied, plan *launchpad.Plan, name string, generation int64) (*launchpad.SubKey, *launchpad.AuditEvent, error) {
	if generation != applied.Generation {
		k, err := s.Rotate(ctx, applied.Hash, plan, name, generation)
		if err != nil {
			return nil, nil, err
		}
		return k, RotatedEvent(k, applied.Hash), nil
	}
	k, err := s.Update(ctx, applied.Hash, plan, name)
	if err != nil {
		return nil, nil, err
	}
	return k, LimitChangedEvent(k, applied.LimitUSD), nil
}

// Get reads the key's record and refreshes it with what OpenRouter enforces (Refresh). A
// record that is gone because the key was rotated outside Terraform (`rotate-secret
// --rotate-keys`) is followed to the user's new key (Successor, above appliedGeneration), so
// the resource does not plan a second key for the user. An error of OpenRouter's says so with
// atOpenRouter; ENOTFOUND means the record, or the key at OpenRouter, is gone. Needs the store
// and the issuer.
func (s *Service) Get(ctx context.Context, hash, userID string, appliedGeneration int64) (k *launchpad.SubKey, atOpenRouter bool, err error) {
	k, err = s.store.GetSubKey(ctx, hash)
	if launchpad.IsNotFound(err) {
		next, serr := s.Successor(ctx, userID, appliedGeneration)
		if serr != nil {
			return nil, false, serr
		}
		if next != nil {
			k, err = next, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	if err := s.Refresh(ctx, k); err != nil {
		return nil, true, err
	}
	return k, false, nil
}
