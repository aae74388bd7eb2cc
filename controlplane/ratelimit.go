package controlplane

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyedLimiter is one token bucket (golang.org/x/time/rate) per key — an email address, a
// client IP, a user id — in this process's memory. Time comes from the caller, so tests drive
// it with their clock.
type keyedLimiter struct {
	what  string // for the error message: "sign-in codes for this address"
	limit RateLimit

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	calls   int
}

func newKeyedLimiter(what string, l RateLimit) *keyedLimiter {
	return &keyedLimiter{what: what, limit: l, buckets: make(map[string]*rate.Limiter)}
}

// sweepEvery is how many calls pass between sweeps of full buckets.
const sweepEvery = 1024

// take spends one token of key's bucket at now, or returns ERATELIMITED with the time until
// a token is available (and spends nothing).
func (l *keyedLimiter) take(key string, now time.Time) error {
	return takeAll(now, limitKey{l, key})
}

// limitKey names one bucket: a limiter and a key.
type limitKey struct {
	l   *keyedLimiter
	key string
}

// takeAll spends one token from each bucket, or none at all: a request refused by one limit
// does not use up the others (a flood against one address does not eat the sender's IP
// budget, and the other way round).
func takeAll(now time.Time, keys ...limitKey) error {
	var taken []*rate.Reservation
	for _, k := range keys {
		res, err := k.l.reserve(k.key, now)
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
func (l *keyedLimiter) reserve(key string, now time.Time) (*rate.Reservation, error) {
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
			Message:    "too many " + l.what + "; try again in " + roundUp(d).String(),
			RetryAfter: d,
		}
	}
	return res, nil
}

// wait reports how long until key's bucket has a token, without spending one.
func (l *keyedLimiter) wait(key string, now time.Time) time.Duration {
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
func (l *keyedLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.limit.Burst) {
			delete(l.buckets, k)
		}
	}
}

func roundUp(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return d.Round(time.Second)
}
