package fly

import (
	"context"
	"fmt"
	"slices"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CreateVolume creates a volume. Before the create it notes the ids of the volumes that exist;
// after an ambiguous failure, a volume named s.Name that is not among them is the one this
// call created, so a dropped response never leaves two.
func (c *Client) CreateVolume(ctx context.Context, app string, s launchpad.VolumeSpec) (*launchpad.Volume, error) {
	if err := requiredIn(app, "volume name", s.Name); err != nil {
		return nil, err
	}
	if s.SizeGB < 0 || (s.SizeGB == 0 && s.SnapshotID == "") {
		return nil, launchpad.Errorf(launchpad.EINVALID, "volume %s for app %s: size_gb is %d; give a size of at least 1 GB", s.Name, app, s.SizeGB)
	}
	op := fmt.Sprintf("creating volume %s for app %s", s.Name, app)
	size, encrypted := s.SizeGB, s.Encrypted
	req := fly.CreateVolumeRequest{Name: s.Name, Region: s.Region, SizeGb: &size, Encrypted: &encrypted}
	if size == 0 {
		req.SizeGb = nil // a restore: the snapshot's size
	}
	if s.SnapshotID != "" {
		snapshot := s.SnapshotID
		req.SnapshotID = &snapshot
	}
	created, err := createOnce(ctx, c, op, func(ctx context.Context) ([]*fly.Volume, error) {
		vols, err := c.listVolumes(ctx, app, op)
		return addrs(vols), err
	}, func(v *fly.Volume) string { return v.ID }, func(v *fly.Volume) bool {
		return v.Name == s.Name && !launchpad.VolumeState(v.State).Gone()
	}, func(ctx context.Context) (*fly.Volume, error) { return c.flaps.CreateVolume(ctx, app, req) })
	if err != nil {
		return nil, err
	}
	return toVolume(created), nil
}

// GetVolume returns one volume, or ENOTFOUND.
func (c *Client) GetVolume(ctx context.Context, app, id string) (*launchpad.Volume, error) {
	if err := requiredIn(app, "volume id", id); err != nil {
		return nil, err
	}
	v, err := c.getVolume(ctx, app, id, fmt.Sprintf("reading volume %s of app %s", id, app))
	if err != nil {
		return nil, err
	}
	return toVolume(v), nil
}

func (c *Client) getVolume(ctx context.Context, app, id, op string) (*fly.Volume, error) {
	return read(ctx, c, op, func(ctx context.Context) (*fly.Volume, error) { return c.flaps.GetVolume(ctx, app, id) })
}

// ListVolumes returns the app's volumes, leaving out those being destroyed.
func (c *Client) ListVolumes(ctx context.Context, app string) ([]*launchpad.Volume, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	vols, err := c.listVolumes(ctx, app, "listing volumes of app "+app)
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.Volume, 0, len(vols))
	for i := range vols {
		if !launchpad.VolumeState(vols[i].State).Gone() {
			out = append(out, toVolume(&vols[i]))
		}
	}
	return out, nil
}

func (c *Client) listVolumes(ctx context.Context, app, op string) ([]fly.Volume, error) {
	return read(ctx, c, op, func(ctx context.Context) ([]fly.Volume, error) { return c.flaps.GetAllVolumes(ctx, app) })
}

// ExtendVolume grows a volume to sizeGB. It never shrinks one (EINVALID); asking for the
// current size changes nothing. The answer's NeedsRestart is Fly's needs_restart: the machine
// mounting the volume sees the added space only once it boots again. When the answer was
// lost and the extend is found done afterwards, NeedsRestart is set if the volume is attached
// (the machine may still run on the old size).
func (c *Client) ExtendVolume(ctx context.Context, app, id string, sizeGB int) (*launchpad.Volume, error) {
	if err := requiredIn(app, "volume id", id); err != nil {
		return nil, err
	}
	op := fmt.Sprintf("extending volume %s of app %s to %d GB", id, app, sizeGB)
	cur, err := c.getVolume(ctx, app, id, op)
	if err != nil {
		return nil, err
	}
	switch {
	case sizeGB < cur.SizeGb:
		return nil, launchpad.Errorf(launchpad.EINVALID, "%s: the volume is %d GB and a volume can only grow; keep a size of at least %d GB (or replace the volume)", op, cur.SizeGb, cur.SizeGb)
	case sizeGB == cur.SizeGb:
		return toVolume(cur), nil
	}
	var (
		out          *fly.Volume
		needsRestart bool
	)
	err = c.call(ctx, op, callOptions{
		// Extending is not repeatable (Fly refuses to "extend" to the current size), so after an
		// ambiguous failure look at the size first.
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			v, err := c.getVolume(ctx, app, id, op)
			if err != nil {
				return false, err
			}
			if v.SizeGb >= sizeGB {
				out, needsRestart = v, v.AttachedMachine != nil
				return true, nil
			}
			return false, nil
		},
	}, func(ctx context.Context) error {
		v, restart, err := c.flaps.ExtendVolume(ctx, app, id, sizeGB)
		if err == nil {
			out, needsRestart = v, restart
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil || out.ID == "" { // some answers carry no volume
		if out, err = c.getVolume(ctx, app, id, op); err != nil {
			return nil, err
		}
	}
	v := toVolume(out)
	v.NeedsRestart = needsRestart
	return v, nil
}

// DeleteVolume destroys a volume. A missing volume is ENOTFOUND (done). A volume still
// attached to a machine — one being destroyed included — is ECONFLICT (Fly answers 412): wait
// until the machine is destroyed first.
func (c *Client) DeleteVolume(ctx context.Context, app, id string) error {
	if err := requiredIn(app, "volume id", id); err != nil {
		return err
	}
	return c.call(ctx, fmt.Sprintf("deleting volume %s of app %s", id, app), callOptions{}, func(ctx context.Context) error {
		_, err := c.flaps.DeleteVolume(ctx, app, id)
		return err
	})
}

func toVolume(v *fly.Volume) *launchpad.Volume {
	out := &launchpad.Volume{ID: v.ID, Name: v.Name, Region: v.Region, SizeGB: v.SizeGb, Encrypted: v.Encrypted, State: launchpad.VolumeState(v.State)}
	if v.AttachedMachine != nil {
		out.AttachedMachineID = *v.AttachedMachine
	}
	return out
}

// SnapshotVolume sets the volume's snapshot retention to retentionDays (1-60, Fly's range),
// takes an on-demand snapshot, and returns it. Fly's create answer carries no snapshot, so the
// snapshots are listed before and after: the new one is the one that was not there before
// (which also makes a create whose answer was lost safe to repeat).
func (c *Client) SnapshotVolume(ctx context.Context, app, id string, retentionDays int) (*launchpad.VolumeSnapshot, error) {
	if err := requiredIn(app, "volume id", id); err != nil {
		return nil, err
	}
	if retentionDays < 1 || retentionDays > 60 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "snapshot retention of volume %s of app %s is %d days; Fly keeps snapshots 1 to 60 days", id, app, retentionDays)
	}
	op := fmt.Sprintf("snapshotting volume %s of app %s", id, app)
	if err := c.call(ctx, op, callOptions{}, func(ctx context.Context) error {
		_, err := c.flaps.UpdateVolume(ctx, app, id, fly.UpdateVolumeRequest{SnapshotRetention: &retentionDays})
		return err
	}); err != nil {
		return nil, err
	}
	before, err := c.listSnapshots(ctx, app, id, op)
	if err != nil {
		return nil, err
	}
	existed := map[string]bool{}
	for _, s := range before {
		existed[s.ID] = true
	}
	var made *fly.VolumeSnapshot
	find := func(ctx context.Context) (bool, error) {
		snaps, err := c.listSnapshots(ctx, app, id, op)
		if err != nil {
			return false, err
		}
		for i := range snaps {
			if !existed[snaps[i].ID] {
				made = &snaps[i]
				return true, nil
			}
		}
		return false, nil
	}
	if err := c.call(ctx, op, callOptions{afterAmbiguous: find}, func(ctx context.Context) error {
		return c.flaps.CreateVolumeSnapshot(ctx, app, id)
	}); err != nil {
		return nil, err
	}
	if made == nil {
		if ok, err := find(ctx); err != nil {
			return nil, err
		} else if !ok {
			return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: Fly accepted the snapshot but does not list it yet; run the command again", op)
		}
	}
	return toVolumeSnapshot(id, made, retentionDays), nil
}

// ListVolumeSnapshots returns the snapshots Fly keeps of a volume (a deleted one's too),
// oldest first.
func (c *Client) ListVolumeSnapshots(ctx context.Context, app, volumeID string) ([]*launchpad.VolumeSnapshot, error) {
	if err := requiredIn(app, "volume id", volumeID); err != nil {
		return nil, err
	}
	snaps, err := c.listSnapshots(ctx, app, volumeID, fmt.Sprintf("listing the snapshots of volume %s of app %s", volumeID, app))
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.VolumeSnapshot, 0, len(snaps))
	for i := range snaps {
		out = append(out, toVolumeSnapshot(volumeID, &snaps[i], 0))
	}
	slices.SortStableFunc(out, func(a, b *launchpad.VolumeSnapshot) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (c *Client) listSnapshots(ctx context.Context, app, id, op string) ([]fly.VolumeSnapshot, error) {
	var snaps []fly.VolumeSnapshot
	err := c.get(ctx, op, func(ctx context.Context) error {
		var err error
		snaps, err = c.flaps.GetVolumeSnapshots(ctx, app, id)
		return err
	})
	return snaps, err
}

func toVolumeSnapshot(volumeID string, s *fly.VolumeSnapshot, retentionDays int) *launchpad.VolumeSnapshot {
	out := &launchpad.VolumeSnapshot{ID: s.ID, VolumeID: volumeID, SizeGB: s.VolumeSize, RetentionDays: retentionDays, CreatedAt: s.CreatedAt}
	if s.RetentionDays != nil {
		out.RetentionDays = *s.RetentionDays
	}
	return out
}
