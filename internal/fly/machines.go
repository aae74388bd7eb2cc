package fly

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// The states in which a machine has reached what a start, stop or destroy asked for (so a
// retried request whose first answer was lost is done).
var (
	startedStates = []launchpad.MachineState{launchpad.MachineStarted, launchpad.MachineStarting}
	stoppedStates = []launchpad.MachineState{launchpad.MachineStopped, launchpad.MachineStopping, launchpad.MachineSuspended}
	goneStates    = []launchpad.MachineState{launchpad.MachineDestroying, launchpad.MachineDestroyed}
)

// CreateMachine launches a machine with the spec's image, guest, env, mounts and metadata, and
// the app's secrets (at least version s.MinSecretsVersion). Fly answers it "created" and
// starts it afterwards: wait for MachineStarted.
// Before the launch it notes the ids of the app's machines; after an ambiguous failure, a
// machine named s.Name that is not among them is the one this call launched.
func (c *Client) CreateMachine(ctx context.Context, app string, s launchpad.MachineSpec) (*launchpad.Machine, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	if err := validateMachineSpec(s); err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "creating machine for app %s: %s", app, launchpad.ErrorMessage(err))
	}
	op := fmt.Sprintf("creating machine %s for app %s", s.Name, app)
	input := launchInput(s)
	created, err := createOnce(ctx, c, op, func(ctx context.Context) ([]*fly.Machine, error) {
		return c.listMachines(ctx, app, op)
	}, func(m *fly.Machine) string { return m.ID }, func(m *fly.Machine) bool {
		return m.Name == s.Name && !launchpad.MachineState(m.State).Gone()
	}, func(ctx context.Context) (*fly.Machine, error) { return c.flaps.Launch(ctx, app, input) })
	if err != nil {
		return nil, err
	}
	return toMachine(created), nil
}

// GetMachine returns one machine, or ENOTFOUND.
func (c *Client) GetMachine(ctx context.Context, app, id string) (*launchpad.Machine, error) {
	m, err := c.getMachine(ctx, app, id, fmt.Sprintf("reading machine %s of app %s", id, app))
	if err != nil {
		return nil, err
	}
	return toMachine(m), nil
}

func (c *Client) getMachine(ctx context.Context, app, id, op string) (*fly.Machine, error) {
	if err := requiredIn(app, "machine id", id); err != nil {
		return nil, err
	}
	return read(ctx, c, op, func(ctx context.Context) (*fly.Machine, error) { return c.flaps.Get(ctx, app, id) })
}

// ListMachines returns the app's machines (Fly leaves destroyed ones out).
func (c *Client) ListMachines(ctx context.Context, app string) ([]*launchpad.Machine, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	ms, err := c.listMachines(ctx, app, "listing machines of app "+app)
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.Machine, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMachine(m))
	}
	return out, nil
}

func (c *Client) listMachines(ctx context.Context, app, op string) ([]*fly.Machine, error) {
	return read(ctx, c, op, func(ctx context.Context) ([]*fly.Machine, error) { return c.flaps.List(ctx, app, "") })
}

// UpdateMachine replaces the machine's config, under its lease. Sending the same config
// twice is harmless, so every failure is simply retried.
func (c *Client) UpdateMachine(ctx context.Context, app, id string, s launchpad.MachineSpec) (*launchpad.Machine, error) {
	if err := requiredIn(app, "machine id", id); err != nil {
		return nil, err
	}
	if err := validateMachineSpec(s); err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "updating machine %s of app %s: %s", id, app, launchpad.ErrorMessage(err))
	}
	op := fmt.Sprintf("updating machine %s of app %s", id, app)
	input := launchInput(s)
	input.ID = id
	var updated *fly.Machine
	err := c.withLease(ctx, app, id, op, func(ctx context.Context, nonce string) error {
		return c.call(ctx, op, callOptions{}, func(ctx context.Context) error {
			m, err := c.flaps.Update(ctx, app, input, nonce)
			if err == nil {
				updated = m
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return toMachine(updated), nil
}

// StartMachine starts a machine, under its lease. A machine already started (or starting)
// counts as done.
func (c *Client) StartMachine(ctx context.Context, app, id string) error {
	op := fmt.Sprintf("starting machine %s of app %s", id, app)
	return c.changeState(ctx, app, id, op, startedStates, func(ctx context.Context, nonce string) error {
		_, err := c.flaps.Start(ctx, app, id, nonce)
		return err
	})
}

// StopMachine stops a machine, under its lease. A machine already stopped (or stopping,
// suspended) counts as done.
func (c *Client) StopMachine(ctx context.Context, app, id string) error {
	op := fmt.Sprintf("stopping machine %s of app %s", id, app)
	return c.changeState(ctx, app, id, op, stoppedStates, func(ctx context.Context, nonce string) error {
		return c.flaps.Stop(ctx, app, fly.StopMachineInput{ID: id}, nonce)
	})
}

// DestroyMachine destroys a machine, under its lease; kill stops a running one first. Fly
// answers at once and the machine is destroying for a while, its volumes still attached: wait
// for MachineDestroyed before mounting or deleting them. A machine already destroying counts
// as done; a missing machine is ENOTFOUND (done).
func (c *Client) DestroyMachine(ctx context.Context, app, id string, kill bool) error {
	op := fmt.Sprintf("destroying machine %s of app %s", id, app)
	return c.changeState(ctx, app, id, op, goneStates, func(ctx context.Context, nonce string) error {
		return c.flaps.Destroy(ctx, app, fly.RemoveMachineInput{ID: id, Kill: kill}, nonce)
	})
}

// changeState runs a start, stop or destroy under the machine's lease. After an ambiguous
// failure — or when Fly refuses the lease or the change because the machine is already there
// (a destroy of a machine that is destroying: 412) — it reads the machine: a machine already in
// one of the target states means the change is done.
func (c *Client) changeState(ctx context.Context, app, id, op string, target []launchpad.MachineState, fn func(ctx context.Context, nonce string) error) error {
	if err := requiredIn(app, "machine id", id); err != nil {
		return err
	}
	reached := func(ctx context.Context) (bool, error) {
		m, err := c.getMachine(ctx, app, id, op)
		if launchpad.IsNotFound(err) && slices.Contains(target, launchpad.MachineDestroyed) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return slices.Contains(target, launchpad.MachineState(m.State)), nil
	}
	nonce, err := c.acquireLease(ctx, app, id, op)
	if err != nil {
		// No lease for a machine that is already there (being destroyed, say): done. A machine
		// that is not found stays ENOTFOUND.
		if !launchpad.IsNotFound(err) {
			if m, gerr := c.getMachine(ctx, app, id, op); gerr == nil && slices.Contains(target, launchpad.MachineState(m.State)) {
				return nil
			}
		}
		return err
	}
	defer c.releaseLease(ctx, app, id, nonce, op)
	err = c.call(ctx, op, callOptions{afterAmbiguous: reached}, func(ctx context.Context) error {
		return fn(ctx, nonce)
	})
	if code := launchpad.ErrorCode(err); code == launchpad.ECONFLICT || code == launchpad.EINVALID {
		if done, rerr := reached(ctx); rerr == nil && done {
			return nil
		}
	}
	return err
}

// MachineEvents returns the machine's events (the "events" field of the machine, which
// Fly lists newest first), oldest first.
func (c *Client) MachineEvents(ctx context.Context, app, id string) ([]*launchpad.MachineEvent, error) {
	m, err := c.getMachine(ctx, app, id, fmt.Sprintf("reading events of machine %s of app %s", id, app))
	if err != nil {
		return nil, err
	}
	// Fly lists events newest first, and several can share a millisecond: reversing keeps
	// their order within a millisecond, the stable sort fixes any other disorder.
	out := make([]*launchpad.MachineEvent, 0, len(m.Events))
	for _, e := range slices.Backward(m.Events) {
		if e == nil {
			continue
		}
		out = append(out, &launchpad.MachineEvent{Type: e.Type, Status: e.Status, Source: e.Source, Time: time.UnixMilli(e.Timestamp).UTC()})
	}
	slices.SortStableFunc(out, func(a, b *launchpad.MachineEvent) int { return a.Time.Compare(b.Time) })
	return out, nil
}

func validateMachineSpec(s launchpad.MachineSpec) error {
	switch {
	case s.Name == "":
		return launchpad.Errorf(launchpad.EINVALID, "the machine name is empty; every machine gets a name so a retried create can find it")
	case s.Image == "":
		return launchpad.Errorf(launchpad.EINVALID, "machine %s has no image; give an image reference such as registry.fly.io/app:tag", s.Name)
	}
	for _, m := range s.Mounts {
		if m.VolumeID == "" || m.Path == "" {
			return launchpad.Errorf(launchpad.EINVALID, "machine %s has a mount without a volume id or path; give both (for example path %s)", s.Name, launchpad.WorkspaceMount)
		}
	}
	return nil
}

// launchInput turns a spec into the Machines API's create/update body.
func launchInput(s launchpad.MachineSpec) fly.LaunchMachineInput {
	cfg := &fly.MachineConfig{
		Image:    s.Image,
		Env:      maps.Clone(s.Env),
		Metadata: maps.Clone(s.Metadata),
	}
	if s.Guest != (launchpad.Guest{}) {
		cfg.Guest = &fly.MachineGuest{CPUKind: s.Guest.CPUKind, CPUs: s.Guest.CPUs, MemoryMB: s.Guest.MemoryMB}
	}
	for _, m := range s.Mounts {
		cfg.Mounts = append(cfg.Mounts, fly.MachineMount{Volume: m.VolumeID, Path: m.Path})
	}
	cfg.Checks = checksConfig(s.Checks)
	in := fly.LaunchMachineInput{Name: s.Name, Region: s.Region, Config: cfg}
	if s.MinSecretsVersion > 0 {
		v := s.MinSecretsVersion
		in.MinSecretsVersion = &v
	}
	return in
}

func toMachine(m *fly.Machine) *launchpad.Machine {
	out := &launchpad.Machine{
		ID:         m.ID,
		Name:       m.Name,
		State:      launchpad.MachineState(m.State),
		Region:     m.Region,
		InstanceID: m.InstanceID,
		CreatedAt:  retry.ParseTime(m.CreatedAt),
		UpdatedAt:  retry.ParseTime(m.UpdatedAt),
	}
	if cfg := m.Config; cfg != nil {
		out.Image = cfg.Image
		out.Env = maps.Clone(cfg.Env)
		out.Metadata = maps.Clone(cfg.Metadata)
		if cfg.Guest != nil {
			out.Guest = launchpad.Guest{CPUKind: cfg.Guest.CPUKind, CPUs: cfg.Guest.CPUs, MemoryMB: cfg.Guest.MemoryMB}
		}
		for _, mt := range cfg.Mounts {
			out.Mounts = append(out.Mounts, launchpad.Mount{VolumeID: mt.Volume, Path: mt.Path})
		}
		out.Checks = checksFrom(cfg.Checks)
	}
	out.CheckStatuses = checkStatuses(m.Checks)
	if out.Image == "" && m.ImageRef.Repository != "" {
		out.Image = m.FullImageRef()
	}
	return out
}
