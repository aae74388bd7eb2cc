package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The three operations of an apply — Provision, Update and Destroy — run a tenant's steps in
// order and name the step that failed, so the caller can point at what caused it.

// Step names the step of an apply that failed.
type Step string

// The steps of an apply.
const (
	StepBYOK  Step = "byok"  // storing the user's BYOK key
	StepKey   Step = "key"   // resolving the model key (no key resolves)
	StepClaim Step = "claim" // claiming the tenant (the user has one of the product: ECONFLICT)
	StepFly   Step = "fly"   // building, reconciling or tearing down the tenant at Fly
	StepStore Step = "store" // recording or removing the tenant's record
)

// Request is what a new tenant is made from.
type Request struct {
	// Tenant holds the user, product, region, plan name, image and rebuild generation.
	Tenant     *launchpad.Tenant
	Plan       *launchpad.Plan
	SubKeyHash string
	// BYOKKey is stored into the user's record first when not nil.
	BYOKKey *string
	// From restores the workspace a destroy retained (CreateFrom) when not nil.
	From *Retained
}

// Provision stores the BYOK key if one is given, resolves the model key, creates the tenant
// (Create, or CreateFrom a retained workspace) and saves its record. On failure it returns
// the step that failed and, if anything exists at Fly, the half-made tenant, which the caller
// must keep track of so that it is destroyed, not leaked. Needs the store, the runtime and the
// keyring.
func (s *Service) Provision(ctx context.Context, r Request) (*Boundary, Step, error) {
	userID := r.Tenant.UserID
	if r.BYOKKey != nil {
		if err := s.StoreBYOK(ctx, userID, *r.BYOKKey); err != nil {
			return nil, StepBYOK, err
		}
	}
	key, err := s.ResolveKey(ctx, userID, r.SubKeyHash, r.Plan)
	if err != nil {
		return nil, StepKey, err
	}
	var b *Boundary
	if r.From != nil {
		b, err = s.CreateFrom(ctx, r.Tenant, r.Plan, key, *r.From)
	} else {
		b, err = s.Create(ctx, r.Tenant, r.Plan, key)
	}
	if err != nil {
		if launchpad.IsConflict(err) && b == nil {
			return nil, StepClaim, err
		}
		if b != nil && len(b.Created) == 0 {
			b = nil // nothing exists at Fly
		}
		return b, StepFly, err
	}
	if err := s.Save(ctx, b.Tenant); err != nil {
		return b, StepStore, err
	}
	return b, "", nil
}

// Update stores byok as the user's BYOK key when c says it changed, reconciles the tenant
// (Reconcile) and saves its record. When reconciling fails it returns the tenant as it now
// stands, for the caller to record what was done so far. Needs the store, the runtime and the
// keyring.
func (s *Service) Update(ctx context.Context, current *Boundary, c Change, byok string) (*Boundary, Step, error) {
	if c.BYOKKeyChanged {
		if err := s.StoreBYOK(ctx, current.Tenant.UserID, byok); err != nil {
			return nil, StepBYOK, err
		}
	}
	b, err := s.Reconcile(ctx, current, c)
	if err != nil {
		return b, StepFly, err
	}
	if err := s.Save(ctx, b.Tenant); err != nil {
		return nil, StepStore, err
	}
	return b, "", nil
}

// Destroy tears the tenant down — keeping its workspace for retentionDays when that is not 0
// (Retain), else entirely (Teardown) — and forgets its record. It returns the workspace kept,
// nil when none was. Needs the store and the runtime.
func (s *Service) Destroy(ctx context.Context, t *launchpad.Tenant, retentionDays int64) (*Retained, Step, error) {
	var kept *Retained
	var err error
	if retentionDays > 0 {
		kept, err = s.Retain(ctx, t, int(retentionDays))
	} else {
		err = s.Teardown(ctx, t)
	}
	if err != nil {
		return nil, StepFly, err
	}
	if kept != nil {
		// Recorded before the tenant's record goes, so no kept app is ever left untracked:
		// the purge loop deletes it once LAUNCHPAD_RETENTION_SNAPSHOTS has passed.
		if err := s.store.PutRetainedWorkspace(ctx, kept.Record(s.now())); err != nil {
			return nil, StepStore, err
		}
	}
	if err := s.Forget(ctx, t.AppName); err != nil {
		return nil, StepStore, err
	}
	return kept, "", nil
}

// Record is k as the store remembers it, kept at keptAt.
func (k *Retained) Record(keptAt time.Time) *launchpad.RetainedWorkspace {
	return &launchpad.RetainedWorkspace{AppName: k.AppName, SnapshotID: k.SnapshotID, KeptAt: keptAt.UTC(), Until: k.Until}
}

// Details are the audit details of a destroy that kept the workspace.
func (k *Retained) Details() map[string]string {
	return map[string]string{"retained_app": k.AppName, "retained_snapshot": k.SnapshotID,
		"retained_volume": k.VolumeID, "retained_until": k.Until.Format(time.RFC3339)}
}

// Notice tells the operator where t's workspace is kept and how to restore it.
func (k *Retained) Notice(t *launchpad.Tenant) string {
	return fmt.Sprintf("Tenant %s of user %s is destroyed; its /workspace (volume %s) is kept as snapshot %s in the app %s until %s. "+
		"To restore it, create the user's %s tenant with restore_from = { app_name = %q, snapshot_id = %q } (region %s).",
		t.AppName, t.UserID, k.VolumeID, k.SnapshotID, k.AppName, k.Until.Format(time.RFC3339), t.Product,
		k.AppName, k.SnapshotID, k.Region)
}

// CheckNoTenant refuses, at plan time, a second tenant of product for user: the Occupant,
// unless replaced says this run destroys it first. ECONFLICT, saying how to import the one
// that exists; a failed lookup is left to the apply.
func (s *Service) CheckNoTenant(ctx context.Context, userID, product string, replaced func(app string) bool) error {
	existing, err := s.Occupant(ctx, userID, product)
	if err != nil || existing == nil || replaced(existing.AppName) {
		return nil
	}
	return launchpad.Errorf(launchpad.ECONFLICT, "User %s already has a %s tenant, %s; a user has one tenant per product. Import it with "+
		"terraform import launchpad_tenant.<name> %s, or destroy the resource that manages it first.", userID, product, existing.AppName, existing.AppName)
}
