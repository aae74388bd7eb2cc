package tenant

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Observe reads the tenant's app and everything in it, and fills t with what exists: a part
// that is gone is left with an empty id, so that the next plan shows it as to be created
// again. ENOTFOUND means the app itself is gone. Needs the runtime.
func (s *Service) Observe(ctx context.Context, t *launchpad.Tenant) (*Boundary, error) {
	o, err := observe(ctx, s.runtime, t)
	if err != nil {
		return nil, err
	}
	applyObserved(t, o)
	b := &Boundary{Tenant: t, machine: o.machine}
	if o.volume != nil {
		b.VolumeSizeGB = o.volume.SizeGB
	}
	if o.machine != nil {
		b.Guest = o.machine.Guest
	}
	return b, nil
}

// observed is what Fly says a tenant looks like right now; nil or "" means missing.
type observed struct {
	machine      *launchpad.Machine
	volume       *launchpad.Volume
	ipv4, ipv6   string
	secretDigest string
}

// observe reads the tenant's app and everything in it. ENOTFOUND means the app itself is gone.
// Known ids are looked up directly; an empty id (after import, or after the object vanished)
// is searched for, so a tenant's parts are always found if they exist.
//
// The four reads run at once, so a refresh waits for one round trip to Fly, not four, and
// there is no separate read of the app: listing its IPs proves it exists (Fly answers 404 for
// the IPs of an app that does not), which is what tells a machine or volume deleted inside
// the app (a part to create again) from the whole app deleted (the tenant leaves the state).
func observe(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant) (*observed, error) {
	var (
		o       observed
		ips     []*launchpad.IPAddress
		secrets []*launchpad.Secret
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		ips, err = rt.ListIPs(gctx, t.AppName) // ENOTFOUND: the app is gone
		return launchpad.Wrapf(err, "listing IPs of %s", t.AppName)
	})
	g.Go(func() error {
		var err error
		secrets, err = rt.ListSecrets(gctx, t.AppName)
		return launchpad.Wrapf(err, "listing secrets of %s", t.AppName)
	})
	g.Go(func() error { return observeMachine(gctx, rt, t, &o) })
	g.Go(func() error { return observeVolume(gctx, rt, t, &o) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, ip := range ips {
		switch {
		case ip.Type == launchpad.IPv4 && !ip.Shared && (o.ipv4 == "" || ip.Address == t.IPv4):
			o.ipv4 = ip.Address
		case ip.Type == launchpad.IPv6 && (o.ipv6 == "" || ip.Address == t.IPv6):
			o.ipv6 = ip.Address
		}
	}
	for _, s := range secrets {
		if s.Name == launchpad.KeySecretName {
			o.secretDigest = s.Digest
		}
	}
	return &o, nil
}

func observeMachine(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, o *observed) error {
	if t.MachineID != "" {
		m, err := rt.GetMachine(ctx, t.AppName, t.MachineID)
		switch {
		case launchpad.IsNotFound(err):
			return nil
		case err != nil:
			return launchpad.Wrapf(err, "reading machine %s of %s", t.MachineID, t.AppName)
		case !m.State.Gone():
			o.machine = m
		}
		return nil
	}
	machines, err := rt.ListMachines(ctx, t.AppName)
	if err != nil {
		return launchpad.Wrapf(err, "listing machines of %s", t.AppName)
	}
	for _, m := range machines {
		if !m.State.Gone() {
			o.machine = m
		}
	}
	return nil
}

func observeVolume(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, o *observed) error {
	if t.VolumeID != "" {
		v, err := rt.GetVolume(ctx, t.AppName, t.VolumeID)
		switch {
		case launchpad.IsNotFound(err):
			return nil
		case err != nil:
			return launchpad.Wrapf(err, "reading volume %s of %s", t.VolumeID, t.AppName)
		case !v.State.Gone():
			o.volume = v
		}
		return nil
	}
	volumes, err := rt.ListVolumes(ctx, t.AppName)
	if err != nil {
		return launchpad.Wrapf(err, "listing volumes of %s", t.AppName)
	}
	for _, v := range volumes {
		if v.Name == volumeName && !v.State.Gone() {
			o.volume = v
		}
	}
	return nil
}

// applyObserved copies what Fly reports into the tenant record, leaving the parts that are
// gone empty.
func applyObserved(t *launchpad.Tenant, o *observed) {
	t.MachineID, t.MachineState, t.VolumeID = "", "", ""
	if o.machine != nil {
		t.MachineID, t.MachineState = o.machine.ID, o.machine.State
	}
	if o.volume != nil {
		t.VolumeID = o.volume.ID
	}
	t.IPv4, t.IPv6, t.SecretDigest = o.ipv4, o.ipv6, o.secretDigest
}
