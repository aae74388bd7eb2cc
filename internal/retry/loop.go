package retry

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Loop is the retry loop of one API client.
type Loop struct {
	// API names the server in messages ("Fly", "OpenRouter"); lower-cased, it starts the
	// loop's debug lines ("fly: retrying").
	API string
	// Policy bounds the retries; give it with its defaults filled in (Policy.WithDefaults).
	Policy Policy
	// Log receives debug lines about retries.
	Log *slog.Logger
	// Sleep waits d or until ctx is done (nil: Sleep); tests record waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Call tunes one call of the loop.
type Call struct {
	// Op says what is being done ("creating volume for app lp-…") and starts every error
	// message.
	Op string
	// Timeout bounds one attempt.
	Timeout time.Duration
	// AfterAmbiguous runs after a failure that leaves it unknown whether the server applied
	// the request (a timeout, a dropped connection, a 5xx, an unreadable 2xx), and after a
	// refusal that follows such a failure (a 409 "already exists", say). It looks for the
	// effect: done=true ends the call successfully; false sends the request again.
	AfterAmbiguous func(ctx context.Context) (done bool, err error)
	// NoResend forbids sending the request again after an ambiguous failure (a command that
	// may have run): the call gives up there.
	NoResend bool
	// RetryConflict retries 409 answers with backoff (a lease held by someone else).
	RetryConflict bool
	// Redact removes the client's secrets from the message of a failed lookup.
	Redact func(string) string
	// GaveUp is the error the call ends with when its last attempt failed with f, after
	// attempts attempts. It is the client's, because it names the API and its credential.
	GaveUp func(f Failure, attempts int) error
}

// Do runs fn until it succeeds, fails for good, or the policy or ctx runs out. An attempt that
// fails with a *launchpad.Error (a nested call's) ends the call with it as it is; a ctx that
// ends gives an EUNAVAILABLE error for which errors.Is(err, ctx.Err()) holds.
func (l Loop) Do(ctx context.Context, c Call, fn func(ctx context.Context) error) error {
	bo := l.Policy.newBackOff()
	ambiguousBefore := false
	for attempt := 1; ; attempt++ {
		err := attemptOnce(ctx, c.Timeout, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return l.cancelled(ctx, c.Op)
		}
		if le := (*launchpad.Error)(nil); errors.As(err, &le) {
			return err // already final (a nested call's error)
		}
		f := Classify(err, c.RetryConflict)
		if f.Ambiguous {
			if c.NoResend {
				return c.GaveUp(f, attempt)
			}
			ambiguousBefore = true
		}
		if (f.Ambiguous || (ambiguousBefore && !f.Retryable)) && c.AfterAmbiguous != nil {
			done, lerr := c.AfterAmbiguous(ctx)
			if lerr != nil {
				return c.lookupFailed(lerr)
			}
			if done {
				l.Log.Debug(l.logPrefix()+"an earlier attempt had succeeded", "op", c.Op, "attempt", attempt)
				return nil
			}
		}
		if !f.Retryable || attempt >= l.Policy.MaxAttempts {
			return c.GaveUp(f, attempt)
		}
		wait := l.Policy.wait(bo, f.RetryAfter)
		l.Log.Debug(l.logPrefix()+"retrying", "op", c.Op, "attempt", attempt, "reason", f.Reason(), "wait", wait)
		sleep := l.Sleep
		if sleep == nil {
			sleep = Sleep
		}
		if err := sleep(ctx, wait); err != nil {
			return l.cancelled(ctx, c.Op)
		}
	}
}

// attemptOnce runs fn once under the per-attempt timeout.
func attemptOnce(ctx context.Context, timeout time.Duration, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return fn(actx)
}

func (l Loop) logPrefix() string { return strings.ToLower(l.API) + ": " }

// lookupFailed reports that checking for the effect of an ambiguous attempt failed.
func (c Call) lookupFailed(err error) error {
	msg := c.Op + ": an attempt may have succeeded, and checking for it failed: " + launchpad.ErrorMessage(err)
	if c.Redact != nil {
		msg = c.Redact(msg)
	}
	return &launchpad.Error{Code: launchpad.ErrorCode(err), Message: msg, RetryAfter: launchpad.ErrorRetryAfter(err)}
}

// cancelled reports that ctx ended before the call did. The error carries both the coded
// error and ctx's error, so errors.Is(err, context.Canceled) still works.
func (l Loop) cancelled(ctx context.Context, op string) error {
	cause := ctx.Err()
	what := "was cancelled"
	if errors.Is(cause, context.DeadlineExceeded) {
		what = "ran out of time"
	}
	return &cancelError{
		err:   launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: %s before %s answered", op, what, l.API),
		cause: cause,
	}
}

type cancelError struct {
	err   *launchpad.Error
	cause error
}

func (e *cancelError) Error() string   { return e.err.Error() }
func (e *cancelError) Unwrap() []error { return []error{e.err, e.cause} }

// Sleep waits d, or less if ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
