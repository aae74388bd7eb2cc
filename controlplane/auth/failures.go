package auth

import (
	"sync"
	"time"
)

// failureTracker turns single failed sign-in attempts into audit-worthy bursts: the audit log
// gets one event when a key (an email address, a user's second factor) reaches the threshold
// within the window, and one at lock-out, instead of one per wrong guess. It is per replica,
// like the rate limits; the attempt cap itself is enforced by the store.
type failureTracker struct {
	threshold int
	window    time.Duration

	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	count          int
	first          time.Time
	lockoutAudited bool
}

const (
	failureBurst       = 3
	failureWindow      = 15 * time.Minute
	failureSweepAtSize = 10000
)

func newFailureTracker() *failureTracker {
	return &failureTracker{threshold: failureBurst, window: failureWindow, entries: make(map[string]*failures)}
}

// fail counts one failure and reports the count when it has just reached the threshold
// (0 otherwise).
func (f *failureTracker) fail(key string, now time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(key, now)
	e.count++
	if e.count == f.threshold {
		return e.count
	}
	return 0
}

// lockout reports true the first time key is locked out in its window.
func (f *failureTracker) lockout(key string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(key, now)
	first := !e.lockoutAudited
	e.lockoutAudited = true
	return first
}

// reset forgets key (a new code was issued, or the sign-in succeeded).
func (f *failureTracker) reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, key)
}

func (f *failureTracker) entry(key string, now time.Time) *failures {
	if len(f.entries) >= failureSweepAtSize {
		for k, e := range f.entries {
			if now.Sub(e.first) > f.window {
				delete(f.entries, k)
			}
		}
		// Still full inside the window: forget arbitrary entries rather than grow without
		// bound (an audit burst may then be reported late; the store's cap still holds).
		for k := range f.entries {
			if len(f.entries) < failureSweepAtSize/2 {
				break
			}
			delete(f.entries, k)
		}
	}
	e, ok := f.entries[key]
	if !ok || now.Sub(e.first) > f.window {
		e = &failures{first: now}
		f.entries[key] = e
	}
	return e
}
