package tenant

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// appNameAttempts is how many creation seconds a new tenant tries when its app name is taken
// (at Fly, app names are global: another org, or a user whose id starts alike, created that
// second).
const appNameAttempts = 5

// Create names, claims and builds a new tenant: want's user, product, region, plan, image and
// rebuild generation, on plan, running on key. When the app name is taken at Fly and nothing
// was made under it, the claim is dropped and the next second's name is tried.
//
// On failure the Boundary is nil if nothing was built (the claim was refused: ECONFLICT when
// the user already has a tenant of this product), else it holds what the last attempt made,
// listed in Created, for the caller to keep track of. Create does not save the finished
// tenant: Save does. Needs the store, the runtime and the org.
func (s *Service) Create(ctx context.Context, want *launchpad.Tenant, plan *launchpad.Plan, key *Key) (*Boundary, error) {
	now := s.now()
	var err error
	for attempt := 0; attempt < appNameAttempts; attempt++ {
		created := now.Add(time.Duration(attempt) * time.Second)
		candidate := *want
		if candidate.AppName, err = launchpad.AppName(want.Product, want.UserID, created); err != nil {
			return nil, err
		}
		candidate.Network, candidate.CreatedAt = candidate.AppName, now
		t, err := s.claim(ctx, &candidate)
		if err != nil {
			return nil, err
		}
		b := s.builder(&Boundary{Tenant: t}, plan)
		err = s.build(ctx, b, key)
		if err == nil {
			return b.Boundary, nil
		}
		if b.appExists {
			return b.Boundary, b.partialError(err)
		}
		// Nothing exists at Fly under this name: forget it, so that this loop (on a taken name)
		// or the next apply starts afresh under a new one.
		if derr := s.store.DeleteTenant(ctx, t.AppName); derr != nil && !launchpad.IsNotFound(derr) {
			return b.Boundary, derr
		}
		if !launchpad.IsConflict(err) || t.AppName != candidate.AppName {
			return b.Boundary, b.partialError(err)
		}
	}
	return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the app names of user %s for %d seconds in a row are all taken at Fly (%s); try again",
		want.UserID, appNameAttempts, launchpad.ErrorMessage(err))
}

// claim records the intent to create a user's tenant of a product before anything exists at
// Fly, so that a create interrupted half-way is resumed by the next apply under the same app
// name instead of leaking an app with an older name. A record whose machine exists is a
// tenant this caller does not manage: it must be imported. A record whose app was deleted
// outside Launchpad is stale and is replaced.
func (s *Service) claim(ctx context.Context, want *launchpad.Tenant) (*launchpad.Tenant, error) {
	existing, err := s.Find(ctx, want.UserID, want.Product)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.MachineID == "" {
		existing.Region, existing.Plan, existing.Image = want.Region, want.Plan, want.Image
		existing.RebuildGeneration = want.RebuildGeneration
		return existing, nil
	}
	if existing != nil {
		_, err := s.runtime.GetApp(ctx, existing.AppName)
		switch {
		case err == nil:
			return nil, launchpad.Errorf(launchpad.ECONFLICT, "user %s already has a %s tenant, %s: a user has one tenant per product. "+
				"Import it with terraform import launchpad_tenant.<name> %s", want.UserID, want.Product, existing.AppName, existing.AppName)
		case !launchpad.IsNotFound(err):
			return nil, err
		}
		if err := s.store.DeleteTenant(ctx, existing.AppName); err != nil && !launchpad.IsNotFound(err) {
			return nil, err
		}
	}
	if err := s.store.CreateTenant(ctx, want); err != nil {
		return nil, err
	}
	return want, nil
}

// build creates a new tenant's app, IPs, volume, key secret and machine, in that order: the
// secret exists before the machine first boots. When the app already exists — a create that
// was interrupted (tofu killed, a lost answer) and is now resumed under the same recorded name
// — what it made is found first and only the missing parts are created.
func (s *Service) build(ctx context.Context, b *builder, key *Key) error {
	created, err := b.ensureApp(ctx)
	if err != nil {
		return err
	}
	if !created {
		found, err := s.Observe(ctx, b.Tenant)
		if err != nil {
			return err
		}
		b.VolumeSizeGB, b.Guest = found.VolumeSizeGB, found.Guest
	}
	if err := b.ensureIPs(ctx); err != nil {
		return err
	}
	vol, err := b.ensureVolume(ctx, b.VolumeSizeGB)
	b.VolumeSizeGB = vol.sizeGB
	if err != nil {
		return err
	}
	if err := b.setKey(ctx, key); err != nil {
		return err
	}
	if b.Tenant.MachineID == "" {
		return b.createMachine(ctx)
	}
	return b.updateMachine(ctx) // a resumed create: the machine takes the key just set
}
