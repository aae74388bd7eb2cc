package tenant

import (
	"context"
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The checks a plan runs before anything is changed, so that what an apply would trip over
// half-way — a second tenant, a key that does not open, a workspace that is not there — fails
// the plan instead, with nothing destroyed. Each answers an error whose message says what to
// change; the caller names the attribute.

// Occupant returns the tenant that keeps user from having a new one of product: the one the
// store records whose app still exists at Fly. nil when there is none, when the record is of
// an interrupted create (an apply resumes it), or when its app is gone (an apply replaces the
// stale record). With no Runtime configured the record alone counts.
func (s *Service) Occupant(ctx context.Context, userID, product string) (*launchpad.Tenant, error) {
	existing, err := s.Find(ctx, userID, product)
	if err != nil || existing == nil || existing.MachineID == "" {
		return nil, err
	}
	if s.runtime != nil {
		if _, err := s.runtime.GetApp(ctx, existing.AppName); launchpad.IsNotFound(err) {
			return nil, nil
		}
	}
	return existing, nil
}

// CheckKeyOpens checks that the stored key of user that source names (KeySource resolves it,
// as an apply will) opens with the service's keyring: it must be sealed under
// PLATFORM_SECRET's or PLATFORM_SECRET_PREVIOUS's key. The pooled key, a user the store cannot
// read and a value that is not a sealed key are left to the apply.
func (s *Service) CheckKeyOpens(ctx context.Context, userID string, source launchpad.KeySource) error {
	if source == launchpad.KeySourcePooled || s.keyring == nil {
		return nil
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil
	}
	sealed, what := u.OpenRouterKey, "sub-key"
	if source == launchpad.KeySourceBYOK {
		sealed, what = u.BYOKKey, "BYOK key"
	}
	id, err := envelope.KeyID(sealed)
	if err != nil || id == s.keyring.CurrentKeyID() || id == s.keyring.PreviousKeyID() {
		return nil
	}
	return launchpad.Errorf(launchpad.EINVALID, "The stored %s of user %s is sealed under key id %s, but the provider's platform_secret "+
		"(PLATFORM_SECRET) derives key id %s and platform_secret_previous (PLATFORM_SECRET_PREVIOUS) %q: the tenant could not be "+
		"given its key. Set PLATFORM_SECRET to the secret it was sealed with (or that one as PLATFORM_SECRET_PREVIOUS during a rotation).",
		what, userID, id, s.keyring.CurrentKeyID(), s.keyring.PreviousKeyID())
}

// CheckRestoreTarget checks that app can be restored into a new tenant of user and product:
// its name says it is a tenant app of that product and user, and it still exists at Fly.
func (s *Service) CheckRestoreTarget(ctx context.Context, app, userID, product string) error {
	parts, err := launchpad.ParseAppName(app)
	if err != nil {
		return err
	}
	uid8, err := launchpad.UID8(userID)
	if err != nil {
		return nil // user_id's own validation reports it
	}
	if parts.Product != product || parts.UID8 != uid8 {
		return launchpad.Errorf(launchpad.EINVALID, "App %s is not a %s tenant of user %s (its name says product %s and uid8 %s); restore a "+
			"workspace into a tenant of the user and product it was retained for.", app, product, userID, parts.Product, parts.UID8)
	}
	if s.runtime != nil {
		if _, err := s.runtime.GetApp(ctx, app); launchpad.IsNotFound(err) {
			return launchpad.Errorf(launchpad.ENOTFOUND, "App %s no longer exists at Fly, and the workspace retained in it with it. "+
				"Remove restore_from to create the tenant with an empty /workspace.", app)
		}
	}
	return nil
}

// WorkspaceFate says in a few words what destroying a tenant does to its /workspace volume.
func WorkspaceFate(retentionDays int64) string {
	if retentionDays > 0 {
		return "kept as a snapshot"
	}
	return "deleted"
}

// WorkspaceFateDetail says it in full, after prefix (what is being done to the tenant).
func WorkspaceFateDetail(prefix, app, volumeID string, retentionDays int64) string {
	if retentionDays > 0 {
		return fmt.Sprintf("%s tenant %s keeps its /workspace volume %s as a Fly snapshot for %d days, in the app %s, which stays "+
			"(empty). Restore it with restore_from = { app_name = %q, snapshot_id = … } on a tenant of the same user and product; "+
			"the destroy reports the snapshot id.", prefix, app, volumeID, retentionDays, app, app)
	}
	return fmt.Sprintf("%s tenant %s deletes its /workspace volume %s and everything the user keeps there (their agent's "+
		"memory and their model-vendor sign-ins) with no copy. Set workspace_retention_days (and apply) first to keep a snapshot, "+
		"or deletion_protection = true to refuse it.", prefix, app, volumeID)
}
