package tenant

import (
	"context"
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Resetting a tenant to a clean image and an empty workspace.
//
// A rebuild (RebuildGeneration) replaces the machine but keeps the volume, so anything
// planted in /workspace survives it. A reset (ResetGeneration) also replaces the volume: the
// machine is destroyed (Fly lets a volume go only once its machine is destroyed), the volume
// is snapshotted and kept for the retention (so a reset by mistake can be undone with
// restore_from, or the old workspace examined), the volume is deleted, and Reconcile then
// creates a new empty encrypted volume and a new machine on it. The app, its IPs and the
// model key secret are kept.

// DefaultResetRetentionDays is how long a reset keeps the old volume's snapshot when the
// tenant sets no workspace retention: the default of LAUNCHPAD_VOLUME_RETENTION (7 days),
// within Fly's 1-60 days.
const DefaultResetRetentionDays = 7

// ResetNotice says, before a reset, what it does to the tenant's workspace: the volume is
// snapshotted and kept retentionDays days (DefaultResetRetentionDays when 0), deleted, and
// replaced by an empty one.
func ResetNotice(app, volumeID string, retentionDays int64) string {
	if retentionDays == 0 {
		retentionDays = DefaultResetRetentionDays
	}
	return fmt.Sprintf("reset_generation changed: tenant %s's machine is destroyed and its /workspace volume %s is snapshotted (kept %d days, "+
		"restorable with restore_from), deleted, and replaced by a new empty volume with a new machine.", app, volumeID, retentionDays)
}

// resetVolume destroys the machine and replaces the workspace volume by nothing (Reconcile
// creates the new one), keeping the old volume as a snapshot for days. It returns what was
// kept, nil when the tenant had no volume left to keep. A reset interrupted after the delete
// runs again: a volume already gone is found through its snapshot.
func (b *builder) resetVolume(ctx context.Context, days int) (*Retained, error) {
	if days < 1 || days > 60 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "reset snapshot retention of %d days: Fly keeps volume snapshots 1 to 60 days", days)
	}
	t := b.Tenant
	if err := b.destroyMachine(ctx); err != nil {
		return nil, err
	}
	if t.VolumeID == "" {
		return nil, nil
	}
	v, err := b.rt.GetVolume(ctx, t.AppName, t.VolumeID)
	if launchpad.IsNotFound(err) || (err == nil && v.State.Gone()) {
		// Fly lists a deleted volume as pending_destroy for a while.
		kept, err := lastSnapshot(ctx, b.rt, t)
		t.VolumeID = ""
		return kept, err
	}
	if err != nil {
		return nil, launchpad.Wrapf(err, "reading volume %s of %s before the reset", t.VolumeID, t.AppName)
	}
	// The snapshot is taken even if Fly keeps older ones (its daily snapshots): it is the
	// workspace as it was at the reset.
	snap, err := b.rt.SnapshotVolume(ctx, t.AppName, v.ID, days)
	if err != nil {
		return nil, launchpad.Wrapf(err, "snapshotting volume %s of %s before the reset (nothing was deleted but the machine; apply again)", v.ID, t.AppName)
	}
	kept := retained(t.AppName, v.ID, v.Region, snap)
	if err := b.rt.DeleteVolume(ctx, t.AppName, v.ID); err != nil && !launchpad.IsNotFound(err) {
		return kept, launchpad.Wrapf(err, "deleting volume %s of %s after its snapshot %s (apply again)", v.ID, t.AppName, snap.ID)
	}
	t.VolumeID = ""
	b.Created = append(b.Created, "snapshot "+snap.ID+" of volume "+v.ID)
	return kept, nil
}

// lastSnapshot is the newest snapshot Fly keeps of t's deleted volume, nil when none.
func lastSnapshot(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant) (*Retained, error) {
	snaps, err := rt.ListVolumeSnapshots(ctx, t.AppName, t.VolumeID)
	if err != nil && !launchpad.IsNotFound(err) {
		return nil, launchpad.Wrapf(err, "listing the snapshots of volume %s of %s", t.VolumeID, t.AppName)
	}
	if len(snaps) == 0 {
		return nil, nil
	}
	return retained(t.AppName, t.VolumeID, t.Region, snaps[len(snaps)-1]), nil
}
