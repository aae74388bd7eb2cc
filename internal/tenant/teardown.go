package tenant

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Teardown deletes a tenant's machine, volume, IPs and app at Fly, in that order (the volume
// once the machine is destroyed, not only destroying), treating anything already gone as done,
// so an interrupted destroy can simply run again. The record
// stays: Forget removes it. Needs the runtime.
func (s *Service) Teardown(ctx context.Context, t *launchpad.Tenant) error {
	rt := s.runtime
	o, err := observe(ctx, rt, t)
	if launchpad.IsNotFound(err) {
		return nil // the app, and with it everything inside, is gone
	}
	if err != nil {
		return err
	}
	if o.machine != nil {
		if err := rt.DestroyMachine(ctx, t.AppName, o.machine.ID, true); err != nil && !launchpad.IsNotFound(err) {
			return launchpad.Wrapf(err, "destroying machine %s of %s", o.machine.ID, t.AppName)
		}
	}
	if o.volume != nil {
		// Fly keeps the volume attached to a machine until the machine is destroyed (412).
		if err := releaseVolume(ctx, rt, t.AppName, o.volume.ID, ""); err != nil {
			return err
		}
		if err := rt.DeleteVolume(ctx, t.AppName, o.volume.ID); err != nil && !launchpad.IsNotFound(err) {
			return launchpad.Wrapf(err, "deleting volume %s of %s", o.volume.ID, t.AppName)
		}
	}
	ips, err := rt.ListIPs(ctx, t.AppName)
	if err != nil && !launchpad.IsNotFound(err) {
		return launchpad.Wrapf(err, "listing IPs of %s", t.AppName)
	}
	for _, ip := range ips {
		if err := rt.ReleaseIP(ctx, t.AppName, ip.Address); err != nil && !launchpad.IsNotFound(err) {
			return launchpad.Wrapf(err, "releasing %s of %s", ip.Address, t.AppName)
		}
	}
	if err := rt.DeleteApp(ctx, t.AppName); err != nil && !launchpad.IsNotFound(err) {
		return launchpad.Wrapf(err, "deleting app %s", t.AppName)
	}
	return nil
}
