package tenant

import (
	"context"
	"errors"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// appNameAttempts is how many app names a new tenant tries when the one it chose turns out to
// be taken at Fly (app names are global: another org, or a retained app, holds it).
const appNameAttempts = 5

// claimAttempts bounds the names a new tenant tries when its claims lose races in the store
// (other users whose uid8 folds to the same string, created at the same moment).
const claimAttempts = 50

// Create names, claims and builds a new tenant: want's user, product, region, plan, image and
// rebuild generation, on plan, running on key.
//
// The name is lp-{product}-{uid8}-{ts}, ts the creation second. Different users can fold to
// one uid8 (Dora0101a, dora0101b and DORA0101c are all dora0101), so a name may be claimed
// already, in the store, by another user's tenant: the tenant then takes the first second
// from now whose name no record holds. A name taken at Fly but not in the store (another org,
// an app kept for its workspace's retention) is never adopted either: its claim is dropped
// and the next second's name tried. Only a tenant's own earlier claim — an interrupted create
// — resumes under an existing app.
//
// On failure the Boundary is nil if nothing was built (the claim was refused: ECONFLICT when
// the user already has a tenant of this product), else it holds what the last attempt made,
// listed in Created, for the caller to keep track of. Create does not save the finished
// tenant: Save does. Needs the store, the runtime and the org.
func (s *Service) Create(ctx context.Context, want *launchpad.Tenant, plan *launchpad.Plan, key *Key) (*Boundary, error) {
	return s.create(ctx, want, plan, key, nil)
}

func (s *Service) create(ctx context.Context, want *launchpad.Tenant, plan *launchpad.Plan, key *Key, from *Retained) (*Boundary, error) {
	now := s.now()
	next := now
	var err error
	for flyTaken, storeTaken := 0, 0; flyTaken < appNameAttempts && storeTaken < claimAttempts; {
		candidate := *want
		if from != nil {
			candidate.AppName = from.AppName
		} else if candidate.AppName, err = launchpad.AppName(want.Product, want.UserID, next); err != nil {
			return nil, err
		}
		candidate.Network, candidate.CreatedAt = candidate.AppName, now
		t, resumed, err := s.claim(ctx, &candidate)
		var taken *nameTakenError
		if errors.As(err, &taken) && from != nil {
			return nil, launchpad.Errorf(launchpad.ECONFLICT, "app %s, whose retained workspace restore_from names, is already another tenant's", from.AppName)
		}
		if errors.As(err, &taken) {
			storeTaken++
			if next, err = s.freeSecond(ctx, want, next.Add(time.Second)); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		b := s.builder(&Boundary{Tenant: t}, plan)
		b.mayExist = resumed || from != nil
		if from != nil {
			b.restore = from
		}
		err = s.build(ctx, b, key)
		if err == nil {
			return b.Boundary, nil
		}
		if b.appExists {
			return b.Boundary, b.partialError(err)
		}
		// Nothing of ours exists at Fly under this name: forget it, so that this loop (on a
		// taken name) or the next apply starts afresh under a new one.
		if derr := s.store.DeleteTenant(ctx, t.AppName); derr != nil && !launchpad.IsNotFound(derr) {
			return b.Boundary, derr
		}
		if !launchpad.IsConflict(err) || t.AppName != candidate.AppName || from != nil {
			return b.Boundary, b.partialError(err)
		}
		flyTaken++
		next = next.Add(time.Second)
	}
	return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the app names of user %s from %s on are all taken (%s); try again",
		want.UserID, now.UTC().Format(time.RFC3339), launchpad.ErrorMessage(err))
}

// nameTakenError is claim's report that the candidate name is another tenant's record.
type nameTakenError struct{ name string }

func (e *nameTakenError) Error() string {
	return "app name " + e.name + " is claimed by another tenant"
}

// freeSecond returns the first second from `from` on whose app name for want no tenant record
// holds, reading the store's records once: a fleet of users sharing a uid8, created at once,
// finds its free names in a few claims rather than one per taken second.
func (s *Service) freeSecond(ctx context.Context, want *launchpad.Tenant, from time.Time) (time.Time, error) {
	all, err := s.store.ListTenants(ctx, launchpad.TenantFilter{})
	if err != nil {
		return time.Time{}, err
	}
	held := map[string]bool{}
	for _, t := range all {
		held[t.AppName] = true
	}
	for sec := from; ; sec = sec.Add(time.Second) {
		name, err := launchpad.AppName(want.Product, want.UserID, sec)
		if err != nil {
			return time.Time{}, err
		}
		if !held[name] {
			return sec, nil
		}
	}
}

// claim records the intent to create a user's tenant of a product before anything exists at
// Fly, so that a create interrupted half-way is resumed by the next apply under the same app
// name instead of leaking an app with an older name; resumed reports such a claim. A record
// whose machine exists is a tenant this caller does not manage: it must be imported. A record
// whose app was deleted outside Launchpad is stale and is replaced. A name whose record is
// another tenant's is a *nameTakenError: a claim never takes over another user's tenant.
func (s *Service) claim(ctx context.Context, want *launchpad.Tenant) (t *launchpad.Tenant, resumed bool, err error) {
	existing, err := s.Find(ctx, want.UserID, want.Product)
	if err != nil {
		return nil, false, err
	}
	if existing != nil && existing.MachineID == "" {
		existing.Region, existing.Plan, existing.Image = want.Region, want.Plan, want.Image
		existing.RebuildGeneration = want.RebuildGeneration
		return existing, true, nil
	}
	if existing != nil {
		_, err := s.runtime.GetApp(ctx, existing.AppName)
		switch {
		case err == nil:
			return nil, false, launchpad.Errorf(launchpad.ECONFLICT, "user %s already has a %s tenant, %s: a user has one tenant per product. "+
				"Import it with terraform import launchpad_tenant.<name> %s", want.UserID, want.Product, existing.AppName, existing.AppName)
		case !launchpad.IsNotFound(err):
			return nil, false, err
		}
		if err := s.store.DeleteTenant(ctx, existing.AppName); err != nil && !launchpad.IsNotFound(err) {
			return nil, false, err
		}
	}
	if err := s.store.CreateTenant(ctx, want); err != nil {
		if launchpad.IsConflict(err) {
			return nil, false, &nameTakenError{name: want.AppName}
		}
		return nil, false, err
	}
	return want, false, nil
}

// build creates a new tenant's app, IPs, volume, key secret and machine, in that order: the
// secret exists before the machine first boots. When the app already exists — a create that
// was interrupted (tofu killed, a lost answer) and is now resumed under the same recorded name
// — what it made is found first and only the missing parts are created.
func (s *Service) build(ctx context.Context, b *builder, key *Key) error {
	if b.restore != nil {
		if err := b.checkRetainedApp(ctx); err != nil {
			return err
		}
	}
	created, err := b.ensureApp(ctx)
	if err != nil {
		return err
	}
	if !created && !b.mayExist {
		// Not our claim's app: a name taken at Fly (another org, an app kept for another
		// tenant's retained workspace). Never adopt it.
		b.appExists = false
		return launchpad.Errorf(launchpad.ECONFLICT, "app name %s is taken at Fly", b.Tenant.AppName)
	}
	if !created {
		found, err := s.Observe(ctx, b.Tenant)
		if err != nil {
			return err
		}
		b.VolumeSizeGB, b.Guest = found.VolumeSizeGB, found.Guest
	}
	if b.restore != nil && b.Tenant.VolumeID == "" {
		if err := b.restoreWorkspace(ctx); err != nil {
			return err
		}
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
