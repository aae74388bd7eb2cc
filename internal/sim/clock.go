package sim

import (
	"sync"
	"time"
)

// Clock tells the simulators what time it is. Machine events, lease expiry, volume and key
// timestamps, OpenRouter usage windows and Fly's rate limits all read it, so a test that
// injects a *ManualClock controls metering, resets and expiry without sleeping.
type Clock interface {
	Now() time.Time
}

// realClock is the wall clock, the default when no Clock is given.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that moves only when told to. The zero value is not useful: build
// one with NewManualClock. Safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	changed chan struct{} // closed and replaced whenever the clock moves
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (backwards too, if a test wants that).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.notifyLocked()
}

// Advance moves the clock forward by d and returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.notifyLocked()
	return c.now
}

// moved returns a channel that is closed the next time the clock is set or advanced: what a
// simulator waits on while a transition is due at a time the clock has not reached.
func (c *ManualClock) moved() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

func (c *ManualClock) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// clockOrReal returns c, or the wall clock when c is nil.
func clockOrReal(c Clock) Clock {
	if c == nil {
		return realClock{}
	}
	return c
}

// untilClock returns a channel that is closed once clock reads at or after at (or when
// something may have changed that, for a clock the simulator cannot watch), and a function
// that releases what it holds. On the wall clock it is a timer; on a *ManualClock it fires when
// the clock moves (the caller then checks again); any other Clock is polled.
func untilClock(clock Clock, at time.Time) (<-chan struct{}, func()) {
	done := make(chan struct{})
	switch c := clock.(type) {
	case realClock:
		t := time.AfterFunc(max(time.Until(at), 0), func() { close(done) })
		return done, func() { t.Stop() }
	case *ManualClock:
		if !c.Now().Before(at) {
			close(done)
			return done, func() {}
		}
		return c.moved(), func() {}
	default:
		t := time.AfterFunc(10*time.Millisecond, func() { close(done) })
		return done, func() { t.Stop() }
	}
}
