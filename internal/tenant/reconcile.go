package tenant

import (
	"cmp"
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Change is what an update asks of an existing tenant.
type Change struct {
	Plan              *launchpad.Plan
	Image             string
	RebuildGeneration int64
	// ResetGeneration, when it differs from the tenant's, resets it: the old volume is
	// snapshotted (kept ResetRetentionDays, default DefaultResetRetentionDays) and deleted,
	// and a new empty volume and a new machine are made.
	ResetGeneration    int64
	ResetRetentionDays int
	SubKeyHash         string // the sub-key to run on when the user has no BYOK key
	// BYOKKeyChanged says a BYOK key was just stored or removed (StoreBYOK): the key is
	// delivered again even if its source did not move.
	BYOKKeyChanged bool
}

// Reconcile brings an existing tenant, as last recorded in current, to its desired shape:
// missing parts are recreated, the volume extended, the machine rebuilt (new generation or new
// volume; the old one is waited for until destroyed, since Fly keeps its volume until then) or
// updated in place (plan size, image, the new key's secrets version, a volume that grew under
// it), and the key re-resolved and delivered if it changed. The conditions match Drift, so every value a plan showed as known stays as planned.
//
// It returns the tenant as it now stands, also on failure, so that what was done so far is
// recorded: the next plan compares it with what is wanted again. It does not save the record:
// Save does. Needs the store, the runtime and the keyring.
func (s *Service) Reconcile(ctx context.Context, current *Boundary, c Change) (*Boundary, error) {
	before := current.Tenant
	t := *before
	t.Plan, t.Image, t.RebuildGeneration = c.Plan.Name, c.Image, c.RebuildGeneration
	b := s.builder(&Boundary{Tenant: &t, VolumeSizeGB: current.VolumeSizeGB, Guest: current.Guest}, c.Plan)

	if c.ResetGeneration != before.ResetGeneration {
		// The generation is recorded only once the old volume is gone, so a failed reset is
		// tried again by the next apply.
		kept, err := b.resetVolume(ctx, cmp.Or(c.ResetRetentionDays, DefaultResetRetentionDays))
		b.Reset = kept
		if err != nil {
			return b.Boundary, err
		}
		t.ResetGeneration = c.ResetGeneration
	}
	vol, err := b.ensureVolume(ctx, current.VolumeSizeGB)
	if err != nil {
		return b.Boundary, err
	}
	b.VolumeSizeGB = vol.sizeGB
	if err := b.ensureIPs(ctx); err != nil {
		return b.Boundary, err
	}
	key, err := s.ResolveKey(ctx, t.UserID, c.SubKeyHash, c.Plan)
	if err != nil {
		return b.Boundary, err
	}
	rebuild := vol.created || t.MachineID == "" || t.RebuildGeneration != before.RebuildGeneration
	if rebuild {
		if err := b.destroyMachine(ctx); err != nil {
			return b.Boundary, err
		}
	}
	keyChanged := c.BYOKKeyChanged || t.SecretDigest == "" || key.Source != t.KeySource || key.SubKeyHash != t.SubKeyHash
	if keyChanged {
		if err := b.setKey(ctx, key); err != nil {
			return b.Boundary, err
		}
	}
	if rebuild {
		return b.Boundary, b.createMachine(ctx)
	}
	// One update carries everything the running machine must pick up: a new size or image,
	// the new key's secrets version, and a volume grown under it (it boots again).
	if c.Plan.Guest != b.Guest || t.Image != before.Image || keyChanged || vol.needsRestart {
		if err := b.updateMachine(ctx); err != nil {
			return b.Boundary, err
		}
	}
	return b.Boundary, nil
}
