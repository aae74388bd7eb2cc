package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// failure is one failed attempt, classified.
type failure struct {
	status     int // 0 when OpenRouter did not answer
	message    string
	retryAfter time.Duration
	timeout    bool
	detail     string
	unreadable bool // a 2xx whose body could not be read or decoded
	retryable  bool
	ambiguous  bool // OpenRouter may have applied the request
}

func classify(err error) failure {
	var se *statusError
	if errors.As(err, &se) {
		f := failure{status: se.Status, message: se.Message, retryAfter: se.RetryAfter}
		switch {
		case se.Status == http.StatusTooManyRequests:
			f.retryable = true
		case se.Status == http.StatusRequestTimeout:
			f.retryable, f.ambiguous, f.timeout = true, true, true
		case se.Status == http.StatusNotImplemented:
		case se.Status >= 500:
			f.retryable, f.ambiguous = true, true
		}
		return f
	}
	f := failure{retryable: true, ambiguous: true, detail: err.Error()}
	var te *transportError
	if errors.As(err, &te) {
		f.ambiguous = !te.dial
	} else {
		f.unreadable = true // a 2xx whose body could not be read or decoded: it was applied
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		f.timeout = true
	}
	return f
}

func (f failure) reason() string {
	switch {
	case f.status != 0:
		return fmt.Sprintf("status %d", f.status)
	case f.timeout:
		return "timeout"
	default:
		return "no answer"
	}
}

func (f failure) code() string {
	switch s := f.status; {
	case s == 0, s == http.StatusRequestTimeout, s >= 500:
		return launchpad.EUNAVAILABLE
	case s == http.StatusNotFound:
		return launchpad.ENOTFOUND
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return launchpad.EUNAUTHORIZED
	case s == http.StatusConflict:
		return launchpad.ECONFLICT
	case s == http.StatusTooManyRequests:
		return launchpad.ERATELIMITED
	default:
		return launchpad.EINVALID
	}
}

// failed builds the error a caller sees after the last attempt.
func (c *Client) failed(op string, f failure, attempts int) error {
	says := ""
	if f.message != "" {
		says = ": " + f.message
	}
	tries := "after 1 attempt"
	if attempts > 1 {
		tries = fmt.Sprintf("after %d attempts", attempts)
	}
	var e *launchpad.Error
	switch code := f.code(); code {
	case launchpad.ENOTFOUND:
		e = launchpad.Errorf(code, "%s: not found (OpenRouter answered 404%s)", op, says)
	case launchpad.EUNAUTHORIZED:
		e = launchpad.Errorf(code, "%s: OpenRouter refused the management key (%d%s); check that OPENROUTER_MANAGEMENT_KEY (or the provider's openrouter.management_key) is a valid management key", op, f.status, says)
	case launchpad.ECONFLICT:
		e = launchpad.Errorf(code, "%s: conflict (OpenRouter answered 409%s)", op, says)
	case launchpad.EINVALID:
		e = launchpad.Errorf(code, "%s: OpenRouter refused the request (%d %s%s)", op, f.status, http.StatusText(f.status), says)
	case launchpad.ERATELIMITED:
		e = launchpad.Errorf(code, "%s: OpenRouter is rate limiting this management key (429 Too Many Requests %s); try again later", op, tries)
		e.RetryAfter = f.retryAfter
	default:
		switch {
		case f.status != 0:
			e = launchpad.Errorf(code, "%s: OpenRouter answered %d %s %s%s; it may be having trouble, try again later", op, f.status, http.StatusText(f.status), tries, says)
		case f.timeout:
			e = launchpad.Errorf(code, "%s: OpenRouter did not answer in time %s (each request waits up to %s)", op, tries, c.timeout)
		case f.unreadable:
			e = launchpad.Errorf(code, "%s: OpenRouter's answer could not be read %s (%s)", op, tries, f.detail)
		default:
			e = launchpad.Errorf(code, "%s: could not reach OpenRouter %s (%s)", op, tries, f.detail)
		}
		e.RetryAfter = f.retryAfter
	}
	e.Message = c.redact.String(e.Message)
	return e
}

// lookupFailed reports that checking for the effect of an ambiguous attempt failed.
func (c *Client) lookupFailed(op string, err error) error {
	return &launchpad.Error{
		Code:       launchpad.ErrorCode(err),
		Message:    c.redact.String(op + ": an attempt may have succeeded, and checking for it failed: " + launchpad.ErrorMessage(err)),
		RetryAfter: launchpad.ErrorRetryAfter(err),
	}
}

// cancelled reports that ctx ended before the call did; errors.Is(err, ctx.Err()) holds.
func (c *Client) cancelled(ctx context.Context, op string) error {
	cause := ctx.Err()
	what := "was cancelled"
	if errors.Is(cause, context.DeadlineExceeded) {
		what = "ran out of time"
	}
	return &cancelError{err: launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: %s before OpenRouter answered", op, what), cause: cause}
}

type cancelError struct {
	err   *launchpad.Error
	cause error
}

func (e *cancelError) Error() string   { return e.err.Error() }
func (e *cancelError) Unwrap() []error { return []error{e.err, e.cause} }
