package subkey

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Successor is the key that replaced a user's sub-key outside Terraform — by `rotate-secret
// --rotate-keys`, which rotates every user's key after a leaked platform secret — so that a
// resource whose key record is gone follows the rotation instead of planning a second key for
// the user. It is the key the user holds now, when its rotation generation is above the one
// the resource last applied; nil otherwise (the key was really deleted). Needs the store.
func (s *Service) Successor(ctx context.Context, userID string, appliedGeneration int64) (*launchpad.SubKey, error) {
	u, err := s.store.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) {
		return nil, nil
	}
	if err != nil || u.OpenRouterKeyHash == "" {
		return nil, err
	}
	k, err := s.store.GetSubKey(ctx, u.OpenRouterKeyHash)
	if launchpad.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if k.RotationGeneration <= appliedGeneration {
		return nil, nil
	}
	return k, nil
}
