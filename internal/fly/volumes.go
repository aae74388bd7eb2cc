package fly

import (
	"context"
	"fmt"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CreateVolume creates a volume. Before the create it notes the ids of the volumes that exist;
// after an ambiguous failure, a volume named s.Name that is not among them is the one this
// call created, so a dropped response never leaves two.
func (c *Client) CreateVolume(ctx context.Context, app string, s launchpad.VolumeSpec) (*launchpad.Volume, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	if err := required("volume name", s.Name); err != nil {
		return nil, err
	}
	if s.SizeGB <= 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "volume %s for app %s: size_gb is %d; give a size of at least 1 GB", s.Name, app, s.SizeGB)
	}
	op := fmt.Sprintf("creating volume %s for app %s", s.Name, app)
	before, err := c.listVolumes(ctx, app, op)
	if err != nil {
		return nil, err
	}
	existed := map[string]bool{}
	for _, v := range before {
		existed[v.ID] = true
	}
	size, encrypted := s.SizeGB, s.Encrypted
	req := fly.CreateVolumeRequest{Name: s.Name, Region: s.Region, SizeGb: &size, Encrypted: &encrypted}
	var created *fly.Volume
	err = c.call(ctx, op, callOptions{
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			vols, err := c.listVolumes(ctx, app, op)
			if err != nil {
				return false, err
			}
			for i := range vols {
				v := &vols[i]
				if v.Name == s.Name && !existed[v.ID] && !launchpad.VolumeState(v.State).Gone() {
					created = v
					return true, nil
				}
			}
			return false, nil
		},
	}, func(ctx context.Context) error {
		v, err := c.flaps.CreateVolume(ctx, app, req)
		if err == nil {
			created = v
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return toVolume(created), nil
}

// GetVolume returns one volume, or ENOTFOUND.
func (c *Client) GetVolume(ctx context.Context, app, id string) (*launchpad.Volume, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	if err := required("volume id", id); err != nil {
		return nil, err
	}
	v, err := c.getVolume(ctx, app, id, fmt.Sprintf("reading volume %s of app %s", id, app))
	if err != nil {
		return nil, err
	}
	return toVolume(v), nil
}

func (c *Client) getVolume(ctx context.Context, app, id, op string) (*fly.Volume, error) {
	var v *fly.Volume
	err := c.get(ctx, op, func(ctx context.Context) error {
		var err error
		v, err = c.flaps.GetVolume(ctx, app, id)
		return err
	})
	return v, err
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
	var vols []fly.Volume
	err := c.get(ctx, op, func(ctx context.Context) error {
		var err error
		vols, err = c.flaps.GetAllVolumes(ctx, app)
		return err
	})
	return vols, err
}

// ExtendVolume grows a volume to sizeGB. It never shrinks one (EINVALID); asking for the
// current size changes nothing. The answer's NeedsRestart is Fly's needs_restart: the machine
// mounting the volume sees the added space only once it boots again. When the answer was
// lost and the extend is found done afterwards, NeedsRestart is set if the volume is attached
// (the machine may still run on the old size).
func (c *Client) ExtendVolume(ctx context.Context, app, id string, sizeGB int) (*launchpad.Volume, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	if err := required("volume id", id); err != nil {
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
	if err := required("app name", app); err != nil {
		return err
	}
	if err := required("volume id", id); err != nil {
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
