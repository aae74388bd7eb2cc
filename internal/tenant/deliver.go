package tenant

import (
	"context"
	"maps"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// DeliverKey sets the key as the tenant's app secret — never as plain env, never in state —
// and updates the tenant's machine to the secrets version that holds it. A machine sees a new
// secret only through an update that asks for that version ("existing Machines must be updated
// to pick up secrets", with min_secrets_version so that the update waits for the version to
// reach the host): a stop and start would boot it on its old version. A running machine is
// replaced on the new version and waited for; a stopped one (an hour cap, say) is updated and
// left stopped, and starts on the new key. It returns Fly's digest of the secret. Sub-key
// rotation delivers its new key through it too.
func DeliverKey(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, plaintext string) (string, error) {
	s, err := setKeySecret(ctx, rt, t, plaintext)
	if err != nil {
		return "", err
	}
	if t.MachineID == "" {
		return s.Digest, nil
	}
	m, err := rt.GetMachine(ctx, t.AppName, t.MachineID)
	if launchpad.IsNotFound(err) || (err == nil && m.State.Gone()) {
		return s.Digest, nil // no machine to update: the next one is created on the new version
	}
	if err != nil {
		return "", launchpad.Wrapf(err, "reading machine %s of %s", t.MachineID, t.AppName)
	}
	spec := specOf(m)
	spec.MinSecretsVersion = s.Version
	if _, err := replaceMachine(ctx, rt, t, m, spec); err != nil {
		return "", launchpad.Wrapf(err, "updating machine %s of %s to its new key (secrets version %d)", t.MachineID, t.AppName, s.Version)
	}
	return s.Digest, nil
}

// setKeySecret sets the model key secret of the tenant's app.
func setKeySecret(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, plaintext string) (*launchpad.Secret, error) {
	s, err := rt.SetSecret(ctx, t.AppName, launchpad.KeySecretName, plaintext)
	if err != nil {
		return nil, launchpad.Wrapf(err, "setting the model key secret of %s", t.AppName)
	}
	return s, nil
}

// specOf is the spec that re-creates machine m as it is: what an update changes nothing else
// of. Launchpad's machines hold nothing beyond these fields (machineSpec).
func specOf(m *launchpad.Machine) launchpad.MachineSpec {
	return launchpad.MachineSpec{
		Name: m.Name, Region: m.Region, Image: m.Image, Guest: m.Guest,
		Env: maps.Clone(m.Env), Mounts: slices.Clone(m.Mounts), Metadata: maps.Clone(m.Metadata),
		Checks: maps.Clone(m.Checks),
	}
}

// replaceMachine updates the tenant's machine m to spec and waits until it runs the new
// version. Fly replaces a started machine (it boots again: on the secrets version the spec
// asks for, and with its volume's filesystem at the volume's size) and leaves a stopped one
// stopped on the new version. A machine in the middle of a change is waited for first: Fly
// refuses to update it until then (412). It records the machine's state on t.
func replaceMachine(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, m *launchpad.Machine, spec launchpad.MachineSpec) (*launchpad.Machine, error) {
	m, err := settled(ctx, rt, t, m)
	if err != nil {
		return nil, err
	}
	updated, err := rt.UpdateMachine(ctx, t.AppName, m.ID, spec)
	if err != nil {
		return nil, err
	}
	t.MachineState = updated.State
	if m.State != launchpad.MachineStarted {
		return updated, nil
	}
	if err := rt.WaitMachine(ctx, t.AppName, m.ID, launchpad.MachineStarted, machineWaitTime); err != nil {
		return nil, launchpad.Wrapf(err, "waiting for machine %s of %s to start on its new version", m.ID, t.AppName)
	}
	t.MachineState = launchpad.MachineStarted
	updated.State = launchpad.MachineStarted
	return updated, nil
}

// settled waits until a machine caught in the middle of a change (created and launching,
// starting, replacing, stopping) has reached the state it is heading for, and returns it as it
// then is. A machine at rest is returned as it is.
func settled(ctx context.Context, rt launchpad.Runtime, t *launchpad.Tenant, m *launchpad.Machine) (*launchpad.Machine, error) {
	var target launchpad.MachineState
	switch m.State {
	case launchpad.MachineCreated, launchpad.MachineStarting, launchpad.MachineReplacing, launchpad.MachineUpdating, launchpad.MachineLaunching:
		target = launchpad.MachineStarted
	case launchpad.MachineStopping:
		target = launchpad.MachineStopped
	case launchpad.MachineSuspending:
		target = launchpad.MachineSuspended
	default:
		return m, nil
	}
	if err := rt.WaitMachine(ctx, t.AppName, m.ID, target, machineWaitTime); err != nil {
		if m.State == launchpad.MachineCreated {
			return m, nil // created and not launching (created with skip_launch): at rest
		}
		return nil, launchpad.Wrapf(err, "waiting for machine %s of %s to finish its change", m.ID, t.AppName)
	}
	return rt.GetMachine(ctx, t.AppName, m.ID)
}

// waitDestroyed waits until machine id of the tenant's app is destroyed (or gone): until then
// Fly keeps its volume attached, so it can be neither mounted elsewhere nor deleted.
func waitDestroyed(ctx context.Context, rt launchpad.Runtime, app, id string) error {
	if err := rt.WaitMachine(ctx, app, id, launchpad.MachineDestroyed, machineWaitTime); err != nil && !launchpad.IsNotFound(err) {
		return launchpad.Wrapf(err, "waiting for machine %s of %s to be destroyed (Fly keeps its volume until then)", id, app)
	}
	return nil
}

// releaseVolume waits until no machine but keep holds the volume: one that is being destroyed
// (this apply's, an earlier apply's, or one destroyed outside Launchpad) is waited for. It is
// what lets a new machine mount the volume, or the volume be deleted, without Fly's 412. A
// machine that is not being destroyed and is not keep is ECONFLICT: Launchpad does not
// destroy a machine it did not expect.
func releaseVolume(ctx context.Context, rt launchpad.Runtime, app, volumeID, keep string) error {
	v, err := rt.GetVolume(ctx, app, volumeID)
	if launchpad.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return launchpad.Wrapf(err, "reading volume %s of %s", volumeID, app)
	}
	holder := v.AttachedMachineID
	if holder == "" || holder == keep {
		return nil
	}
	m, err := rt.GetMachine(ctx, app, holder)
	if launchpad.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return launchpad.Wrapf(err, "reading machine %s of %s, which holds volume %s", holder, app, volumeID)
	}
	if !m.State.Gone() {
		return launchpad.Errorf(launchpad.ECONFLICT, "volume %s of %s is mounted by machine %s (%s), which is not the tenant's machine: "+
			"destroy that machine, or import the tenant again", volumeID, app, holder, m.State)
	}
	return waitDestroyed(ctx, rt, app, holder)
}
