package fly

import (
	"context"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// RetryPolicy bounds how the client retries 429 answers, 5xx answers and requests that got
// no answer; see retry.Policy. The zero value means DefaultRetryPolicy.
type RetryPolicy = retry.Policy

// DefaultRetryPolicy is 12 attempts, 200ms doubling to 5s with jitter, Retry-After honoured
// up to 30s (retry.DefaultPolicy says why).
func DefaultRetryPolicy() RetryPolicy { return retry.DefaultPolicy() }

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
	// forbiddenIsTaken reads a 403 as "the app exists in an organization this token cannot
	// access" (ECONFLICT), not as a refused token: what Fly answers a read of such an app.
	forbiddenIsTaken bool
}

// call runs fn until it succeeds, fails for good, or the retry policy or ctx runs out (the
// loop is retry.Loop's). op says what is being done ("creating volume for app lp-…") and
// starts every error message.
func (c *Client) call(ctx context.Context, op string, o callOptions, fn func(ctx context.Context) error) error {
	timeout := o.attemptTimeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	loop := retry.Loop{API: "Fly", Policy: c.retry, Log: c.log, Sleep: c.sleep}
	return loop.Do(ctx, retry.Call{
		Op:             op,
		Timeout:        timeout,
		AfterAmbiguous: o.afterAmbiguous,
		NoResend:       o.noResend,
		RetryConflict:  o.retryConflict,
		Redact:         func(s string) string { return c.redact.With(o.secrets...).String(s) },
		GaveUp: func(f retry.Failure, attempts int) error {
			if o.forbiddenIsTaken && f.Status == http.StatusForbidden {
				return takenElsewhere(c.redact.String(op), f)
			}
			note := ""
			if o.noResend && f.Ambiguous {
				note = "Fly may have run it; not sending it again"
			}
			return c.failed(op, f, attempts, note, o.secrets)
		},
	}, fn)
}

// get runs a read: retried freely, no lookups needed.
func (c *Client) get(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return c.call(ctx, op, callOptions{}, fn)
}

// read runs fn as a read (see get) and returns what its last attempt read.
func read[T any](ctx context.Context, c *Client, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := c.get(ctx, op, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}
