package metering

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// lifecycle says what a machine event means for metering: whether the machine runs after it,
// and whether the event says anything about that at all (an update does not).
func lifecycle(e *launchpad.MachineEvent) (running, known bool) {
	switch e.Type {
	case "start", "restart":
		return true, true
	case "stop", "exit", "destroy", "launch":
		// stop: the machine is being stopped (its exit follows within the same request on
		// the simulator, within seconds on Fly); launch: created, not started yet.
		return false, true
	}
	return false, false
}

// clock is the metering position of one machine within one cycle: everything before cursor
// is counted in seconds, and running says whether the machine runs at cursor.
type clock struct {
	seconds float64
	cursor  time.Time
	running bool
	since   time.Time // when the current run began (or cursor, if that is unknown)
	// perDay, when set, also gets every counted second in the UTC day it fell in.
	perDay *launchpad.Usage
}

// count counts the running time [from, to).
func (c *clock) count(from, to time.Time) {
	c.seconds += to.Sub(from).Seconds()
	if c.perDay == nil {
		return
	}
	for from.Before(to) {
		end := launchpad.UsageDayOf(from).AddDate(0, 0, 1)
		if end.After(to) {
			end = to
		}
		c.perDay.AddToDay(from, end.Sub(from).Seconds(), 0)
		from = end
	}
}

// advance counts the machine's running time from c.cursor up to until, from its events
// (oldest first). It is idempotent: events before the cursor were counted by an earlier pass
// and only tell the state at the cursor; events at or after it are applied in order; events
// after until are left for a later pass. So every second is counted by exactly one pass,
// whichever replica runs it.
func (c *clock) advance(events []*launchpad.MachineEvent, until time.Time) {
	if !until.After(c.cursor) {
		return
	}
	// The state at the cursor is the one the last earlier event left. It differs from the
	// carried state only when an event became visible late (clock skew between Fly and this
	// process) or a restart was claimed but never made; it is corrected at the cursor, so
	// nothing is counted twice.
	var before *launchpad.MachineEvent
	for _, e := range events {
		if _, known := lifecycle(e); known && e.Time.Before(c.cursor) {
			before = e
		}
	}
	if before != nil {
		if running, _ := lifecycle(before); running != c.running {
			c.running, c.since = running, c.cursor
		}
	}
	for _, e := range events {
		running, known := lifecycle(e)
		if !known || e.Time.Before(c.cursor) || e.Time.After(until) {
			continue
		}
		if c.running {
			c.count(c.cursor, e.Time)
		}
		c.cursor = e.Time
		if running && !c.running {
			c.since = e.Time
		}
		c.running = running
	}
	if c.running {
		c.count(c.cursor, until)
	}
	c.cursor = until
}

// lastLifecycle returns the newest event that says whether the machine runs, at or before
// until, or nil.
func lastLifecycle(events []*launchpad.MachineEvent, until time.Time) *launchpad.MachineEvent {
	var last *launchpad.MachineEvent
	for _, e := range events {
		if _, known := lifecycle(e); known && !e.Time.After(until) {
			last = e
		}
	}
	return last
}
