package openrouter

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// RetryPolicy bounds how the client retries 429 answers, 5xx answers and requests that got
// no answer. The zero value means DefaultRetryPolicy; zero fields take their default.
type RetryPolicy struct {
	// MaxAttempts is how many times one request is tried, the first included (default 12).
	MaxAttempts int
	// InitialBackoff is the wait before the second try (default 200ms). Each later wait
	// doubles, with ±50% jitter, up to MaxBackoff.
	InitialBackoff time.Duration
	// MaxBackoff caps one wait (default 5s).
	MaxBackoff time.Duration
	// MaxRetryAfter caps how long a Retry-After from OpenRouter is honoured (default 30s):
	// the wait before the next try is the larger of the backoff and min(Retry-After, cap).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 12 attempts, 200ms doubling to 5s with jitter, Retry-After honoured
// up to 30s: about 36s of backoff, well inside a resource's timeouts. Six were too few on a
// bad day (with 30% of requests failing, one in 1,400 gave up); twelve give up once in two
// million.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 12, InitialBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
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

// newBackOff returns the jittered exponential schedule of one call (cenkalti/backoff computes
// the intervals; the loop is ours because its v4 cannot honour Retry-After).
func (p RetryPolicy) newBackOff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.InitialBackoff
	b.MaxInterval = p.MaxBackoff
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// wait is how long to wait before the next try.
func (p RetryPolicy) wait(b *backoff.ExponentialBackOff, retryAfter time.Duration) time.Duration {
	d := b.NextBackOff()
	retryAfter = min(retryAfter, p.MaxRetryAfter)
	return max(d, retryAfter)
}

// callOptions tune one call of the retry loop.
type callOptions struct {
	// afterAmbiguous runs after a failure that leaves it unknown whether OpenRouter applied
	// the request (timeout, dropped connection, 5xx, an unreadable 2xx), and after a refusal
	// that follows one. done=true ends the call successfully; false sends the request again.
	afterAmbiguous func(ctx context.Context) (done bool, err error)
}

// call runs fn until it succeeds, fails for good, or the retry policy or ctx runs out. op says
// what is being done and starts every error message.
func (c *Client) call(ctx context.Context, op string, o callOptions, fn func(ctx context.Context) error) error {
	bo := c.retry.newBackOff()
	ambiguousBefore := false
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.cancelled(ctx, op)
		}
		if le := (*launchpad.Error)(nil); errors.As(err, &le) {
			return err // already final (a nested call's error)
		}
		f := classify(err)
		if f.ambiguous {
			ambiguousBefore = true
		}
		if (f.ambiguous || (ambiguousBefore && !f.retryable)) && o.afterAmbiguous != nil {
			done, lerr := o.afterAmbiguous(ctx)
			if lerr != nil {
				return c.lookupFailed(op, lerr)
			}
			if done {
				return nil
			}
		}
		if !f.retryable || attempt >= c.retry.MaxAttempts {
			return c.failed(op, f, attempt)
		}
		wait := c.retry.wait(bo, f.retryAfter)
		c.log.Debug("openrouter: retrying", "op", op, "attempt", attempt, "reason", f.reason(), "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return c.cancelled(ctx, op)
		}
	}
}

// attempt runs fn once under the per-request timeout.
func (c *Client) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return fn(actx)
}
