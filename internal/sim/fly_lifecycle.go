package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// startMachine: POST …/start → {"previous_state"}. Only a created (not launching) or
// stopped machine starts; anything else is refused with 412, Fly's "unable to start machine
// from current state". The machine is "starting" until Transitions.Start has passed.
func (f *Fly) startMachine(w http.ResponseWriter, r *http.Request) {
	f.withMutableMachine(w, r, func(a *flyApp, m *flyMachine) {
		prev := m.State
		if (prev != stateCreated && prev != stateStopped) || len(m.Steps) > 0 {
			writeFlyError(w, http.StatusPreconditionFailed, fmt.Sprintf("unable to start machine from current state: '%s'", prev))
			return
		}
		now := f.clock.Now()
		f.scheduleLocked(a, m, now, stateStarting, f.step(now.Add(f.tr.Start), stateStarted, "start", "user", nil))
		writeJSON(w, http.StatusOK, map[string]string{"previous_state": prev})
	})
}

// stopMachine: POST …/stop [{"signal","timeout"}] → {"ok":true}: a stop event (stopping,
// by the user), then, once Transitions.Stop has passed, an exit event (stopped, by flyd).
// Only a started machine stops; 412 otherwise.
func (f *Fly) stopMachine(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Signal  string `json:"signal"`
		Timeout any    `json:"timeout"`
	}
	if !decodeOr(w, r, &req, true, writeFlyError) {
		return
	}
	f.withMutableMachine(w, r, func(a *flyApp, m *flyMachine) {
		now := f.clock.Now()
		if !f.beginStopLocked(w, m, "stop", now) {
			return
		}
		done := now.Add(f.tr.Stop)
		f.scheduleLocked(a, m, now, stateStopping, f.step(done, stateStopped, "exit", "flyd", exitRequest(done, signalNumber(req.Signal))))
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// beginStopLocked starts stopping a machine for verb ("stop", "restart"): the stop event, by
// the user, at now. Only a started machine with no queued step stops; otherwise it answers
// 412 and returns false.
func (f *Fly) beginStopLocked(w http.ResponseWriter, m *flyMachine, verb string, now time.Time) bool {
	if m.State != stateStarted || len(m.Steps) > 0 {
		writeFlyError(w, http.StatusPreconditionFailed, fmt.Sprintf("unable to %s machine from current state: '%s'", verb, m.State))
		return false
	}
	f.eventLocked(m, "stop", stateStopping, "user", now, nil)
	return true
}

// signalNumber maps the stop signal to its number for the exit event (SIGINT by default,
// Fly's default stop signal).
func signalNumber(s string) int {
	switch s {
	case "SIGKILL", "9":
		return 9
	case "SIGTERM", "15":
		return 15
	case "SIGQUIT", "3":
		return 3
	default:
		return 2
	}
}

// restartMachine: POST …/restart → {"ok":true}: a stop event, then the exit (after
// Transitions.Stop) and the start (after Transitions.Start more); 412 unless started. The
// machine boots again, so a volume grown while it ran is seen at its new size.
func (f *Fly) restartMachine(w http.ResponseWriter, r *http.Request) {
	f.withMutableMachine(w, r, func(a *flyApp, m *flyMachine) {
		now := f.clock.Now()
		if !f.beginStopLocked(w, m, "restart", now) {
			return
		}
		stopped := now.Add(f.tr.Stop)
		f.scheduleLocked(a, m, now, stateStopping,
			f.step(stopped, stateStopped, "exit", "flyd", exitRequest(stopped, signalNumber(r.URL.Query().Get("signal")))),
			f.step(stopped.Add(f.tr.Start), stateStarted, "start", "flyd", nil))
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// waitStates are the states /wait accepts.
var waitStates = []string{stateStarted, stateStopped, "suspended", stateDestroyed}

// Fly's bounds on the wait timeout: 60s is both the default and the maximum; a value
// outside [1s, 60s] is refused (invalid_argument), not clamped.
const (
	minWaitTimeout = time.Second
	maxWaitTimeout = 60 * time.Second
)

// waitMachine: GET …/wait?state=&timeout=&instance_id= blocks until the machine is in
// state (and on instance_id, if given) → 200 {"ok":true}, or answers 408 when timeout (wall
// clock: the client really waits) passes first. It wakes when a queued step of the machine
// falls due on the Clock. A destroyed machine satisfies state=destroyed while its tombstone
// lasts.
func (f *Fly) waitMachine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = stateStarted
	}
	if !slices.Contains(waitStates, state) {
		writeFlyError(w, http.StatusBadRequest, fmt.Sprintf("invalid_argument: state %q: wait for one of %v", state, waitStates))
		return
	}
	timeout, err := parseWaitTimeout(q.Get("timeout"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	instance := q.Get("instance_id")
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		_, m, err := f.machineLocked(r, true)
		changed := f.changed
		var met bool
		var next time.Time
		if err == nil {
			next = m.nextStepAt()
			if instance != "" && !slices.Contains(m.Instances, instance) {
				err = flyErrorf(http.StatusBadRequest, "invalid_argument: machine %s never had instance_id %s", m.ID, instance)
			}
			met = m.State == state && (state == stateDestroyed || instance == "" || instance == m.InstanceID)
		}
		f.mu.Unlock()
		switch {
		case err != nil:
			writeFlyErr(w, err)
			return
		case met:
			writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
			return
		}
		var due <-chan struct{}
		release := func() {}
		if !next.IsZero() {
			due, release = untilClock(f.clock, next)
		}
		select {
		case <-changed:
		case <-due:
		case <-deadline.C:
			release()
			writeFlyError(w, http.StatusRequestTimeout, fmt.Sprintf("deadline_exceeded: machine did not reach state %q within %s", state, timeout))
			return
		case <-r.Context().Done():
			release()
			return
		}
		release()
	}
}

// parseWaitTimeout reads timeout as whole seconds (what flaps sends) or a Go duration.
func parseWaitTimeout(s string) (time.Duration, error) {
	if s == "" {
		return maxWaitTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if n, aerr := strconv.Atoi(s); aerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil {
		return 0, flyErrorf(http.StatusBadRequest, "invalid_argument: timeout %q: give seconds (e.g. 60) or a duration (e.g. 30s)", s)
	}
	if d < minWaitTimeout || d > maxWaitTimeout {
		return 0, flyErrorf(http.StatusBadRequest, "invalid_argument: timeout %s is outside [1s, 1m0s]", d)
	}
	return d, nil
}

// machineEvents: GET …/events → the machine's events, newest first (readable while the
// destroyed machine's tombstone lasts, so the last hours can still be metered).
func (f *Fly) machineEvents(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, true, func(_ *flyApp, m *flyMachine) {
		writeJSON(w, http.StatusOK, m.eventsNewestFirst())
	})
}
