package subkey

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CheckImportable refuses, with ENOTFOUND, to adopt a key the store has no record of: only
// keys minted by Launchpad can be managed, because the plaintext a tenant needs exists only
// sealed in the store. Any other store error is left for the read that follows to report.
// Needs the store.
func (s *Service) CheckImportable(ctx context.Context, hash string) error {
	if _, err := s.store.GetSubKey(ctx, hash); launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.ENOTFOUND, "Key %s is not a Launchpad sub-key: only keys minted by launchpad_subkey can be imported, "+
			"because their sealed plaintext lives in the Launchpad store.", hash)
	}
	return nil
}
