package tenant

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Retaining a destroyed tenant's workspace.
//
// Fly keeps a volume's snapshots for the volume's snapshot retention (1-60 days), also after
// the volume is deleted — Fly documents restoring a deleted volume from them — but it reaches
// them only through their app (every snapshot path is /v1/apps/{app}/volumes/…), and it does
// not document keeping anything of an app once the app is deleted. So Retain never deletes
// the app: it snapshots the volume, then deletes the machine, the volume, the IPs and the key
// secret, and keeps the empty app, which holds nothing Fly bills by the hour (no machine, no
// volume, no dedicated address) and only the snapshot's storage. Fly deletes the snapshot
// when its retention ends; the empty app stays until a tenant is restored into it or an
// operator deletes it (fly apps destroy).

// Retained is a destroyed tenant's workspace as Retain kept it: the app it stays in, the
// snapshot of its /workspace volume, and until when Fly keeps that snapshot. CreateFrom
// restores a tenant from AppName and SnapshotID.
type Retained struct {
	AppName    string
	SnapshotID string
	VolumeID   string // the deleted volume the snapshot was taken of
	Region     string
	Until      time.Time
}

// Retain tears a tenant down like Teardown, but keeps its workspace for days days (1-60): it
// destroys the machine, takes a snapshot of the volume kept that long, deletes the volume, the
// IPs and the model key secret, and keeps the app the snapshot lives in. An interrupted Retain
// runs again: a volume already deleted is found through its snapshot. A tenant with no volume
// has nothing to keep and is torn down entirely (nil Retained). The record stays: Forget
// removes it. Needs the runtime.
func (s *Service) Retain(ctx context.Context, t *launchpad.Tenant, days int) (*Retained, error) {
	if days < 1 || days > 60 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "workspace retention of %d days: Fly keeps volume snapshots 1 to 60 days", days)
	}
	rt := s.runtime
	o, err := observe(ctx, rt, t)
	if launchpad.IsNotFound(err) {
		return nil, nil // the app, and with it everything inside, is gone
	}
	if err != nil {
		return nil, err
	}
	if o.machine != nil {
		if err := rt.DestroyMachine(ctx, t.AppName, o.machine.ID, true); err != nil && !launchpad.IsNotFound(err) {
			return nil, launchpad.Wrapf(err, "destroying machine %s of %s", o.machine.ID, t.AppName)
		}
		// The volume is detached only once the machine is gone.
		if err := rt.WaitMachine(ctx, t.AppName, o.machine.ID, launchpad.MachineDestroyed, machineWaitTime); err != nil && !launchpad.IsNotFound(err) {
			return nil, launchpad.Wrapf(err, "waiting for machine %s of %s to be destroyed", o.machine.ID, t.AppName)
		}
	}
	var kept *Retained
	switch {
	case o.volume != nil:
		snap, err := rt.SnapshotVolume(ctx, t.AppName, o.volume.ID, days)
		if err != nil {
			return nil, launchpad.Wrapf(err, "snapshotting the workspace volume %s of %s before the destroy (nothing was deleted but the machine)", o.volume.ID, t.AppName)
		}
		kept = retained(t.AppName, o.volume.ID, o.volume.Region, snap)
		if err := rt.DeleteVolume(ctx, t.AppName, o.volume.ID); err != nil && !launchpad.IsNotFound(err) {
			return nil, launchpad.Wrapf(err, "deleting volume %s of %s (its snapshot %s is kept)", o.volume.ID, t.AppName, snap.ID)
		}
	case t.VolumeID != "":
		// Deleted already: by an earlier, interrupted Retain, if it left a snapshot.
		snaps, err := rt.ListVolumeSnapshots(ctx, t.AppName, t.VolumeID)
		if err != nil && !launchpad.IsNotFound(err) {
			return nil, launchpad.Wrapf(err, "listing the snapshots of volume %s of %s", t.VolumeID, t.AppName)
		}
		if len(snaps) > 0 {
			kept = retained(t.AppName, t.VolumeID, t.Region, snaps[len(snaps)-1])
		}
	}
	if kept == nil {
		return nil, s.Teardown(ctx, t) // no workspace to keep
	}
	ips, err := rt.ListIPs(ctx, t.AppName)
	if err != nil && !launchpad.IsNotFound(err) {
		return nil, launchpad.Wrapf(err, "listing IPs of %s", t.AppName)
	}
	for _, ip := range ips {
		if err := rt.ReleaseIP(ctx, t.AppName, ip.Address); err != nil && !launchpad.IsNotFound(err) {
			return nil, launchpad.Wrapf(err, "releasing %s of %s", ip.Address, t.AppName)
		}
	}
	if err := rt.DeleteSecret(ctx, t.AppName, launchpad.KeySecretName); err != nil && !launchpad.IsNotFound(err) {
		return nil, launchpad.Wrapf(err, "deleting the model key secret of %s", t.AppName)
	}
	return kept, nil
}

func retained(app, volumeID, region string, snap *launchpad.VolumeSnapshot) *Retained {
	return &Retained{
		AppName: app, SnapshotID: snap.ID, VolumeID: volumeID, Region: region,
		Until: snap.CreatedAt.Add(time.Duration(snap.RetentionDays) * 24 * time.Hour).UTC(),
	}
}

// CreateFrom creates a tenant like Create, but in the app a destroyed tenant's workspace was
// retained in (from.AppName), with its volume restored from the snapshot from.SnapshotID. The
// app must be a tenant app of want's product and user (its name says so: the same uid8), still
// at Fly in this organization, and no other tenant's. The restored volume is extended to the
// plan's size when that is larger. Needs the store, the runtime and the org.
func (s *Service) CreateFrom(ctx context.Context, want *launchpad.Tenant, plan *launchpad.Plan, key *Key, from Retained) (*Boundary, error) {
	parts, err := launchpad.ParseAppName(from.AppName)
	if err != nil {
		return nil, err
	}
	uid8, err := launchpad.UID8(want.UserID)
	if err != nil {
		return nil, err
	}
	if parts.Product != want.Product || parts.UID8 != uid8 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "app %s is not a %s tenant of user %s (its name says product %s, uid8 %s): restore a workspace into the app it was retained in",
			from.AppName, want.Product, want.UserID, parts.Product, parts.UID8)
	}
	if from.SnapshotID == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "restoring into %s needs the snapshot id its destroy reported", from.AppName)
	}
	b, err := s.create(ctx, want, plan, key, &from)
	if err != nil {
		return b, err
	}
	// The app is a tenant's again: the purge loop must not delete it.
	return b, s.store.DeleteRetainedWorkspace(ctx, from.AppName)
}

// checkRetainedApp makes sure the app a restore names exists at Fly, before anything is
// created: a missing one means the workspace is gone with it.
func (b *builder) checkRetainedApp(ctx context.Context) error {
	_, err := b.rt.GetApp(ctx, b.restore.AppName)
	if launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.EINVALID, "app %s no longer exists at Fly, and the retained workspace with it: "+
			"remove restore_from to create the tenant with an empty workspace", b.restore.AppName)
	}
	return launchpad.Wrapf(err, "reading app %s", b.restore.AppName)
}

// restoreWorkspace creates the tenant's volume from the retained snapshot.
func (b *builder) restoreWorkspace(ctx context.Context) error {
	t := b.Tenant
	v, err := b.rt.CreateVolume(ctx, t.AppName, launchpad.VolumeSpec{
		Name: volumeName, Region: t.Region, Encrypted: true, SnapshotID: b.restore.SnapshotID,
	})
	if err != nil {
		return launchpad.Wrapf(err, "restoring the workspace of %s from snapshot %s (is it still kept, and is region %s the one it was taken in?)",
			t.AppName, b.restore.SnapshotID, t.Region)
	}
	if !v.Encrypted {
		return launchpad.Errorf(launchpad.EINTERNAL, "Fly restored volume %s of %s unencrypted; refusing to use it", v.ID, t.AppName)
	}
	t.VolumeID, b.VolumeSizeGB = v.ID, v.SizeGB
	b.Created = append(b.Created, "volume "+v.ID+" (restored from "+b.restore.SnapshotID+")")
	return nil
}
