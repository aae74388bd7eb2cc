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
	mu  sync.Mutex
	now time.Time
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
}

// Advance moves the clock forward by d and returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// clockOrReal returns c, or the wall clock when c is nil.
func clockOrReal(c Clock) Clock {
	if c == nil {
		return realClock{}
	}
	return c
}
