package provider

import (
	"context"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The fixed parts of every tenant's boundary. Names are deterministic so that the clients can
// find an object again after a lost response instead of creating a second one.
const (
	volumeName      = "workspace"
	machineWaitTime = 2 * time.Minute
	metaUserID      = "launchpad_user_id"
	metaPlan        = "launchpad_plan"
	metaGeneration  = "launchpad_rebuild_generation"
)

// machineName is per rebuild generation: a rebuilt machine is a new machine.
func machineName(generation int64) string {
	return "agent-g" + strconv.FormatInt(generation, 10)
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
// gone empty, so that the next plan shows them as to be created again.
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

// boundary holds what building or repairing a tenant needs.
type boundary struct {
	rt        launchpad.Runtime
	org       string
	plan      *launchpad.Plan
	tenant    *launchpad.Tenant
	guest     launchpad.Guest // the machine's size as Fly last reported it
	appExists bool            // the app exists at Fly (found or created)
	created   []string        // what this run created, for the error message of a partial failure
}

// ensureApp creates the app on its own private network — network = app name, so no
// .internal route reaches another tenant — unless it exists already (a resumed create). It
// reports whether it created the app.
func (b *boundary) ensureApp(ctx context.Context) (bool, error) {
	t := b.tenant
	t.Network = t.AppName
	if app, err := b.rt.GetApp(ctx, t.AppName); err == nil {
		if app.Org != "" && b.org != "" && app.Org != b.org {
			return false, launchpad.Errorf(launchpad.ECONFLICT, "app name %s is taken by another Fly organization", t.AppName)
		}
		b.appExists = true
		return false, nil
	} else if !launchpad.IsNotFound(err) {
		return false, launchpad.Wrapf(err, "reading app %s", t.AppName)
	}
	if _, err := b.rt.CreateApp(ctx, launchpad.AppSpec{Name: t.AppName, Org: b.org, Network: t.AppName}); err != nil {
		return false, launchpad.Wrapf(err, "creating app %s", t.AppName)
	}
	b.appExists = true
	b.created = append(b.created, "app "+t.AppName)
	return true, nil
}

// ensureIPs gives the app a dedicated IPv4 and an IPv6 if it lacks either.
func (b *boundary) ensureIPs(ctx context.Context) error {
	t := b.tenant
	if t.IPv4 == "" {
		ip, err := b.rt.AllocateIP(ctx, t.AppName, launchpad.IPSpec{Type: launchpad.IPv4, Shared: false})
		if err != nil {
			return launchpad.Wrapf(err, "allocating a dedicated IPv4 for %s", t.AppName)
		}
		t.IPv4 = ip.Address
		b.created = append(b.created, "IPv4 "+ip.Address)
	}
	if t.IPv6 == "" {
		ip, err := b.rt.AllocateIP(ctx, t.AppName, launchpad.IPSpec{Type: launchpad.IPv6})
		if err != nil {
			return launchpad.Wrapf(err, "allocating an IPv6 for %s", t.AppName)
		}
		t.IPv6 = ip.Address
		b.created = append(b.created, "IPv6 "+ip.Address)
	}
	return nil
}

// ensureVolume creates the encrypted workspace volume if missing, or extends it to the plan's
// size; it never shrinks a volume (a smaller plan keeps the data and the size). It returns the
// volume's size and whether the volume is new (so the machine must be rebuilt to mount it).
func (b *boundary) ensureVolume(ctx context.Context, currentSizeGB int) (sizeGB int, created bool, err error) {
	t := b.tenant
	if t.VolumeID == "" {
		v, err := b.rt.CreateVolume(ctx, t.AppName, launchpad.VolumeSpec{
			Name: volumeName, Region: t.Region, SizeGB: b.plan.VolumeSizeGB, Encrypted: true,
		})
		if err != nil {
			return 0, false, launchpad.Wrapf(err, "creating the encrypted volume of %s", t.AppName)
		}
		if !v.Encrypted {
			return 0, false, launchpad.Errorf(launchpad.EINTERNAL, "Fly created volume %s of %s unencrypted; refusing to use it", v.ID, t.AppName)
		}
		t.VolumeID = v.ID
		b.created = append(b.created, "volume "+v.ID)
		return v.SizeGB, true, nil
	}
	if b.plan.VolumeSizeGB > currentSizeGB {
		v, err := b.rt.ExtendVolume(ctx, t.AppName, t.VolumeID, b.plan.VolumeSizeGB)
		if err != nil {
			return 0, false, launchpad.Wrapf(err, "extending volume %s of %s to %d GB", t.VolumeID, t.AppName, b.plan.VolumeSizeGB)
		}
		return v.SizeGB, false, nil
	}
	return currentSizeGB, false, nil
}

// machineSpec is the tenant machine: the plan's size, the workspace volume at /workspace,
// and no secret in its environment (the model key is an app secret).
func (b *boundary) machineSpec() launchpad.MachineSpec {
	t := b.tenant
	return launchpad.MachineSpec{
		Name:   machineName(t.RebuildGeneration),
		Region: t.Region,
		Image:  t.Image,
		Guest:  b.plan.Guest,
		Env: map[string]string{
			"LAUNCHPAD_APP":     t.AppName,
			"LAUNCHPAD_PRODUCT": t.Product,
			"HERMES_HOME":       launchpad.WorkspaceMount + "/.hermes",
		},
		Mounts: []launchpad.Mount{{VolumeID: t.VolumeID, Path: launchpad.WorkspaceMount}},
		Metadata: map[string]string{
			metaUserID:     t.UserID,
			metaPlan:       b.plan.Name,
			metaGeneration: strconv.FormatInt(t.RebuildGeneration, 10),
		},
	}
}

// createMachine launches the machine and waits for it to start.
func (b *boundary) createMachine(ctx context.Context) error {
	t := b.tenant
	m, err := b.rt.CreateMachine(ctx, t.AppName, b.machineSpec())
	if err != nil {
		return launchpad.Wrapf(err, "creating the machine of %s", t.AppName)
	}
	t.MachineID, t.MachineState, b.guest = m.ID, m.State, m.Guest
	b.created = append(b.created, "machine "+m.ID)
	return b.waitStarted(ctx)
}

// updateMachine applies the plan's size and the image to the existing machine in place. A
// machine that was stopped (an hour cap, a suspension) stays stopped: Fly leaves it so, and
// starting it is the control plane's decision, not the provider's.
func (b *boundary) updateMachine(ctx context.Context) error {
	t := b.tenant
	before, err := b.rt.GetMachine(ctx, t.AppName, t.MachineID)
	if err != nil {
		return launchpad.Wrapf(err, "reading machine %s of %s", t.MachineID, t.AppName)
	}
	m, err := b.rt.UpdateMachine(ctx, t.AppName, t.MachineID, b.machineSpec())
	if err != nil {
		return launchpad.Wrapf(err, "updating machine %s of %s", t.MachineID, t.AppName)
	}
	b.guest, t.MachineState = m.Guest, m.State
	if before.State != launchpad.MachineStarted {
		return nil
	}
	return b.waitStarted(ctx)
}

func (b *boundary) waitStarted(ctx context.Context) error {
	t := b.tenant
	if err := b.rt.WaitMachine(ctx, t.AppName, t.MachineID, launchpad.MachineStarted, machineWaitTime); err != nil {
		return launchpad.Wrapf(err, "waiting for machine %s of %s to start", t.MachineID, t.AppName)
	}
	t.MachineState = launchpad.MachineStarted
	return nil
}

// destroyMachine removes the machine (killing it if it runs); a missing one is fine.
func (b *boundary) destroyMachine(ctx context.Context) error {
	t := b.tenant
	if t.MachineID == "" {
		return nil
	}
	if err := b.rt.DestroyMachine(ctx, t.AppName, t.MachineID, true); err != nil && !launchpad.IsNotFound(err) {
		return launchpad.Wrapf(err, "destroying machine %s of %s", t.MachineID, t.AppName)
	}
	t.MachineID, t.MachineState = "", ""
	return nil
}

// partialError explains a failed create, listing what exists so the operator knows what the
// tainted resource holds (the next apply destroys and recreates it).
func (b *boundary) partialError(err error) error {
	if len(b.created) == 0 {
		return err
	}
	return launchpad.Errorf(launchpad.ErrorCode(err), "%s (created before the failure: %s; the resource is marked tainted and the next apply replaces it)",
		launchpad.ErrorMessage(err), strings.Join(b.created, ", "))
}

// teardown deletes a tenant's machine, volume, IPs and app, in that order, treating anything
// already gone as done, so an interrupted destroy can simply run again.
func teardown(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant) error {
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
