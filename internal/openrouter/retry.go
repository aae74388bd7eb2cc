package openrouter

import (
	"context"

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
	// afterAmbiguous runs after a failure that leaves it unknown whether OpenRouter applied
	// the request (timeout, dropped connection, 5xx, an unreadable 2xx), and after a refusal
	// that follows one. done=true ends the call successfully; false sends the request again.
	afterAmbiguous func(ctx context.Context) (done bool, err error)
}

// call runs fn until it succeeds, fails for good, or the retry policy or ctx runs out (the
// loop is retry.Loop's). op says what is being done and starts every error message.
func (c *Client) call(ctx context.Context, op string, o callOptions, fn func(ctx context.Context) error) error {
	loop := retry.Loop{API: "OpenRouter", Policy: c.retry, Log: c.log, Sleep: c.sleep}
	return loop.Do(ctx, retry.Call{
		Op:             op,
		Timeout:        c.timeout,
		AfterAmbiguous: o.afterAmbiguous,
		Redact:         c.redact.String,
		GaveUp: func(f retry.Failure, attempts int) error {
			return c.failed(op, f, attempts)
		},
	}, fn)
}
