package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Fly answers a create, start, stop, restart, update or destroy at once and completes the
// change afterwards (the Machines API's own words: "machine was in a non-started state prior
// to the update…"; the states created, starting, stopping, replacing and destroying). The
// simulator does the same: a request puts the machine in its transitional state and queues
// the steps that complete the change, each at a time on the Clock (FlyOptions.Transitions).
// Steps are applied lazily, whenever the app is next looked at (every request does), so the
// events they record carry the time the step was due, not the time it was noticed.

// settleAppLocked applies every step due by now in the app: machines reach their next
// states, destroyed machines let go of their volumes, deleted volumes whose pending_destroy
// retention has passed disappear.
func (f *Fly) settleAppLocked(a *flyApp, now time.Time) {
	for _, m := range a.Machines {
		f.settleMachineLocked(a, m, now)
	}
	for id, v := range a.Volumes {
		if !v.DeletedAt.IsZero() && !now.Before(v.DeletedAt.Add(f.pendingFor)) {
			delete(a.Volumes, id)
		}
	}
}

// settleMachineLocked applies the machine's due steps, in order.
func (f *Fly) settleMachineLocked(a *flyApp, m *flyMachine, now time.Time) {
	changed := false
	for len(m.Steps) > 0 && !now.Before(m.Steps[0].At) {
		s := m.Steps[0]
		m.Steps = m.Steps[1:]
		f.enterLocked(a, m, s.State, s.At)
		if s.Event != nil {
			m.Events = append(m.Events, s.Event)
			m.UpdatedAt = s.At.UTC()
		}
		changed = true
	}
	if len(m.Steps) == 0 {
		m.Steps = nil
	}
	if changed {
		f.notifyLocked()
	}
}

// enterLocked puts the machine in state at time at, with what that state means for its
// volumes: a machine that boots sees its volumes' filesystems at their current size (a volume
// grown while mounted grows for the machine only now), and a destroyed machine lets go of its
// volumes, lease and name.
func (f *Fly) enterLocked(a *flyApp, m *flyMachine, state string, at time.Time) {
	m.State = state
	switch state {
	case stateStarted:
		for _, v := range a.Volumes {
			if v.AttachedMachineID == m.ID {
				v.FSSizeGB = v.SizeGB
			}
		}
	case stateDestroyed:
		m.DestroyedAt, m.Lease, m.Steps = at.UTC(), nil, nil
		for _, v := range a.Volumes {
			if v.AttachedMachineID == m.ID {
				v.AttachedMachineID = ""
			}
		}
	}
}

// scheduleLocked queues the steps of a change that starts now, in state, and applies at once
// those already due (all of them when the transitions are immediate).
func (f *Fly) scheduleLocked(a *flyApp, m *flyMachine, now time.Time, state string, steps ...*flyStep) {
	m.State, m.Steps = state, steps
	m.UpdatedAt = now.UTC()
	f.settleMachineLocked(a, m, now)
	f.notifyLocked()
}

// step is one queued step: state at time at, recording an event of typ, status state and
// source, with request as its request field.
func (f *Fly) step(at time.Time, state, typ, source string, request json.RawMessage) *flyStep {
	return &flyStep{At: at, State: state, Event: &flyEvent{ID: ulid(at), Type: typ, Status: state, Source: source, Timestamp: at.UnixMilli(), Request: request}}
}

// exitRequest is the request of the exit event flyd records when a machine stops.
func exitRequest(at time.Time, signal int) json.RawMessage {
	return mustJSON(map[string]any{"exit_event": map[string]any{
		"exit_code": 0, "requested_stop": true, "signal": signal, "exited_at": at.UTC().Format(time.RFC3339Nano),
	}})
}

// transitional reports whether the machine is in the middle of a change.
func (m *flyMachine) transitional() bool {
	return len(m.Steps) > 0 || slices.Contains([]string{stateStarting, stateStopping, stateReplacing, stateDestroying}, m.State)
}

// running reports whether the machine runs or is on its way to running (a destroy of it
// must kill it).
func (m *flyMachine) running() bool {
	return slices.Contains([]string{stateStarted, stateStarting, stateReplacing}, m.State) ||
		(m.State == stateCreated && len(m.Steps) > 0)
}

// nextStepAt is when the machine's next step is due, zero when it rests.
func (m *flyMachine) nextStepAt() time.Time {
	if len(m.Steps) == 0 {
		return time.Time{}
	}
	return m.Steps[0].At
}

// waitClock blocks until the Clock reads at or after at, or ctx ends (false).
func (f *Fly) waitClock(ctx context.Context, at time.Time) bool {
	for f.clock.Now().Before(at) {
		ch, release := untilClock(f.clock, at)
		select {
		case <-ch:
			release()
		case <-ctx.Done():
			release()
			return false
		}
	}
	return true
}

// refuseTransitional answers 412 for an action on a machine in the middle of a change, in
// the words Fly uses for a start from the wrong state.
func refuseTransitional(action string, m *flyMachine) error {
	return flyErrorf(http.StatusPreconditionFailed, "unable to %s machine from current state: '%s'", action, m.State)
}
