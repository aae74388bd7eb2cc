package fly

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
	// MaxRetryAfter caps how long a Retry-After from Fly is honoured (default 30s): the wait
	// before the next try is the larger of the backoff and min(Retry-After, MaxRetryAfter).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 12 attempts, 200ms doubling to 5s with jitter, Retry-After honoured
// up to 30s. Twelve attempts span about 36s of backoff (more when Fly asks for it), well
// inside a resource's timeouts. Six were too few on a bad day: with 30% of requests failing,
// one in 1,400 gave up, and a 50-tenant apply (about 1,300 requests) failed every other run;
// with twelve, one in two million does.
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

// newBackOff returns the jittered exponential schedule of one call. cenkalti/backoff (which
// flaps already depends on) computes the intervals; the loop is ours because that library's
// v4 cannot honour a server's Retry-After.
func (p RetryPolicy) newBackOff() *backoff.ExponentialBackOff {
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
func (p RetryPolicy) wait(b *backoff.ExponentialBackOff, retryAfter time.Duration) time.Duration {
	d := b.NextBackOff()
	if retryAfter > p.MaxRetryAfter {
		retryAfter = p.MaxRetryAfter
	}
	if retryAfter > d {
		d = retryAfter
	}
	return d
}

// callOptions tune one call of the retry loop.
type callOptions struct {
	// afterAmbiguous runs after a failure that leaves it unknown whether Fly applied the
	// request (a timeout, a dropped connection, a 5xx), and after a refusal that follows such
	// a failure (a 409 "already exists", say). It looks for the effect: done=true ends the
	// call successfully; false sends the request again.
	afterAmbiguous func(ctx context.Context) (done bool, err error)
	// noResend forbids sending the request again after an ambiguous failure (Exec: the
	// command may have run).
	noResend bool
	// retryConflict retries 409 answers with backoff (a lease held by someone else).
	retryConflict bool
	// attemptTimeout overrides the per-request timeout (long polls: wait, exec).
	attemptTimeout time.Duration
	// secrets are values of this call (a secret being set) to keep out of its errors.
	secrets []string
}

// call runs fn until it succeeds, fails for good, or the retry policy or ctx runs out. op says
// what is being done ("creating volume for app lp-…") and starts every error message.
func (c *Client) call(ctx context.Context, op string, o callOptions, fn func(ctx context.Context) error) error {
	bo := c.retry.newBackOff()
	ambiguousBefore := false
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, o.attemptTimeout, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.cancelled(ctx, op)
		}
		if le := (*launchpad.Error)(nil); errors.As(err, &le) {
			return err // already final (a nested call's error)
		}
		f := classify(err, o.retryConflict)
		if f.ambiguous {
			if o.noResend {
				return c.failed(op, f, attempt, "Fly may have run it; not sending it again", o.secrets)
			}
			ambiguousBefore = true
		}
		if (f.ambiguous || (ambiguousBefore && !f.retryable)) && o.afterAmbiguous != nil {
			done, lerr := o.afterAmbiguous(ctx)
			if lerr != nil {
				return c.lookupFailed(op, lerr, o.secrets)
			}
			if done {
				c.log.Debug("fly: an earlier attempt had succeeded", "op", op, "attempt", attempt)
				return nil
			}
		}
		if !f.retryable || attempt >= c.retry.MaxAttempts {
			return c.failed(op, f, attempt, "", o.secrets)
		}
		wait := c.retry.wait(bo, f.retryAfter)
		c.log.Debug("fly: retrying", "op", op, "attempt", attempt, "reason", f.reason(), "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return c.cancelled(ctx, op)
		}
	}
}

// attempt runs fn once under the per-request timeout.
func (c *Client) attempt(ctx context.Context, timeout time.Duration, fn func(ctx context.Context) error) error {
	if timeout <= 0 {
		timeout = c.timeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return fn(actx)
}

// get runs a read: retried freely, no lookups needed.
func (c *Client) get(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return c.call(ctx, op, callOptions{}, fn)
}
