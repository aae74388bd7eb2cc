// Package retry is the retry loop the API clients (internal/fly, internal/openrouter) share:
// the policy and its jittered backoff, Retry-After, the reading of a failed attempt (was it
// refused, or may the server have applied it?), its launchpad error code, and the loop that
// decides, after each failure, whether to look for the request's effect, try again or stop.
//
// What stays in each client is what differs between the APIs: how a request is sent, which
// error bodies are trusted, what a few statuses mean, the secrets to redact and the wording
// of the final error (it names the API and its credential).
package retry

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy bounds how a client retries 429 answers, 5xx answers and requests that got no
// answer. The zero value means DefaultPolicy; zero fields take their default.
type Policy struct {
	// MaxAttempts is how many times one request is tried, the first included (default 12).
	MaxAttempts int
	// InitialBackoff is the wait before the second try (default 200ms). Each later wait
	// doubles, with ±50% jitter, up to MaxBackoff.
	InitialBackoff time.Duration
	// MaxBackoff caps one wait (default 5s).
	MaxBackoff time.Duration
	// MaxRetryAfter caps how long a Retry-After from the server is honoured (default 30s):
	// the wait before the next try is the larger of the backoff and min(Retry-After, cap).
	MaxRetryAfter time.Duration
}

// DefaultPolicy is 12 attempts, 200ms doubling to 5s with jitter, Retry-After honoured up
// to 30s. Twelve attempts span about 36s of backoff (more when the server asks for it), well
// inside a resource's timeouts. Six were too few on a bad day: with 30% of requests failing,
// one in 1,400 gave up, and a 50-tenant apply (about 1,300 Fly requests) failed every other
// run; with twelve, one in two million does.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 12, InitialBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// WithDefaults returns p with every zero field set to DefaultPolicy's, and MaxBackoff raised
// to InitialBackoff when it is smaller.
func (p Policy) WithDefaults() Policy {
	d := DefaultPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = d.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	if p.MaxBackoff < p.InitialBackoff {
		p.MaxBackoff = p.InitialBackoff
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// newBackOff returns the jittered exponential schedule of one call. cenkalti/backoff (which
// flaps already depends on) computes the intervals; the loop is ours because that library's
// v4 cannot honour a server's Retry-After.
func (p Policy) newBackOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.InitialBackoff
	b.MaxInterval = p.MaxBackoff
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.MaxElapsedTime = 0 // attempts, not elapsed time, end the loop
	b.Reset()
	return b
}

// wait is how long to wait before the next try.
func (p Policy) wait(b *backoff.ExponentialBackOff, retryAfter time.Duration) time.Duration {
	d := b.NextBackOff()
	retryAfter = min(retryAfter, p.MaxRetryAfter)
	return max(d, retryAfter)
}
