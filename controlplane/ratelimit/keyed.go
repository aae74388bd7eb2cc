// Package ratelimit is the control plane's per-replica rate limits: one token bucket
// (golang.org/x/time/rate) per key — an email address, a client IP, a user id — in this
// process's memory, so N replicas allow up to N times as much. Time comes from the caller,
// so tests drive it with their clock.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Limit allows Burst requests at once and then one every Every.
type Limit struct {
	Every time.Duration
	Burst int
	// Off disables the limit (tests and fuzzing only).
	Off bool
}

// Keyed is one token bucket per key.
type Keyed struct {
	what  string // for the error message: "sign-in codes for this address"
	limit Limit

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	calls   int
}

// New returns a limiter of what (named in its errors: "too many <what>") under l.
func New(what string, l Limit) *Keyed {
	return &Keyed{what: what, limit: l, buckets: make(map[string]*rate.Limiter)}
}

// sweepEvery is how many calls pass between sweeps of full buckets.
const sweepEvery = 1024

// Take spends one token of key's bucket at now, or returns ERATELIMITED with the time until
// a token is available (and spends nothing).
func (l *Keyed) Take(key string, now time.Time) error {
	return TakeAll(now, Key{l, key})
}

// Key names one bucket: a limiter and a key.
type Key struct {
	Limiter *Keyed
	Key     string
}

// TakeAll spends one token from each bucket, or none at all: a request refused by one limit
// does not use up the others (a flood against one address does not eat the sender's IP
// budget, and the other way round).
func TakeAll(now time.Time, keys ...Key) error {
	var taken []*rate.Reservation
	for _, k := range keys {
		res, err := k.Limiter.reserve(k.Key, now)
		if err != nil {
			for _, r := range taken {
				r.CancelAt(now)
			}
			return err
		}
		if res != nil {
			taken = append(taken, res)
		}
	}
	return nil
}

// reserve takes a token that is available now, or returns ERATELIMITED.
func (l *Keyed) reserve(key string, now time.Time) (*rate.Reservation, error) {
	if l.limit.Off {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%sweepEvery == 0 {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)
		l.buckets[key] = b
	}
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return nil, &launchpad.Error{
			Code:       launchpad.ERATELIMITED,
			Message:    "too many " + l.what + "; try again in " + toNearestSecond(d).String(),
			RetryAfter: d,
		}
	}
	return res, nil
}

// Wait reports how long until key's bucket has a token, without spending one.
func (l *Keyed) Wait(key string, now time.Time) time.Duration {
	if l.limit.Off {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	res := b.ReserveN(now, 1)
	d := res.DelayFrom(now)
	res.CancelAt(now)
	return d
}

// sweep drops buckets that have refilled: a full bucket behaves exactly like a new one, so
// forgetting it changes nothing, and memory stays proportional to recent distinct keys.
func (l *Keyed) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.limit.Burst) {
			delete(l.buckets, k)
		}
	}
}

// toNearestSecond is the wait as the message words it, at least a second. (The Retry-After
// header, which clients act on, rounds up: package httpjson.)
func toNearestSecond(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return d.Round(time.Second)
}
