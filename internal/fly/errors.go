package fly

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// failure is one failed attempt, classified.
type failure struct {
	status     int // 0 when Fly did not answer
	message    string
	retryAfter time.Duration
	timeout    bool
	detail     string // what went wrong on the wire when Fly did not answer (redacted)
	unreadable bool   // a 2xx whose body could not be read or decoded
	retryable  bool
	ambiguous  bool // Fly may have applied the request
}

// classify reads what went wrong in one attempt.
func classify(err error, retryConflict bool) failure {
	var se *statusError
	if errors.As(err, &se) {
		f := failure{status: se.Status, message: se.Message, retryAfter: se.RetryAfter}
		switch {
		case se.Status == http.StatusTooManyRequests:
			f.retryable = true // refused before doing anything
		case se.Status == http.StatusConflict && retryConflict:
			f.retryable = true
		case se.Status == http.StatusRequestTimeout:
			f.retryable, f.ambiguous, f.timeout = true, true, true
		case se.Status == http.StatusNotImplemented:
			// an endpoint the server does not have: retrying will not help
		case se.Status >= 500:
			f.retryable, f.ambiguous = true, true
		}
		return f
	}
	f := failure{retryable: true, ambiguous: true}
	var te *transportError
	if errors.As(err, &te) {
		f.detail = te.Error()
		f.ambiguous = !te.dial // a connection never made carried no request
	} else {
		// A 2xx whose body could not be read or decoded: the request was applied.
		f.detail, f.unreadable = err.Error(), true
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		f.timeout = true
	}
	return f
}

// reason is a short description for log lines.
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

// code maps a failure to the domain's error codes.
func (f failure) code() string {
	switch s := f.status; {
	case s == 0, s == http.StatusRequestTimeout, s >= 500:
		return launchpad.EUNAVAILABLE
	case s == http.StatusNotFound:
		return launchpad.ENOTFOUND
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return launchpad.EUNAUTHORIZED
	case s == http.StatusConflict, s == http.StatusPreconditionFailed:
		return launchpad.ECONFLICT
	case s == http.StatusUnprocessableEntity:
		if mentionsTaken(f.message) {
			return launchpad.ECONFLICT
		}
		return launchpad.EINVALID
	case s == http.StatusTooManyRequests:
		return launchpad.ERATELIMITED
	default:
		return launchpad.EINVALID
	}
}

// mentionsTaken reports whether a 422 message is about a name already in use.
func mentionsTaken(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "taken") || strings.Contains(m, "already") || strings.Contains(m, "exists")
}

// failed builds the error a caller sees after the last attempt. note, if set, is appended.
func (c *Client) failed(op string, f failure, attempts int, note string, secrets []string) error {
	redact := c.redact.With(secrets...)
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
		e = launchpad.Errorf(code, "%s: not found (Fly answered 404%s)", op, says)
	case launchpad.EUNAUTHORIZED:
		e = launchpad.Errorf(code, "%s: Fly refused the API token (%d%s); check that FLY_API_TOKEN (or the provider's fly.api_token) is valid and has access to this organization and app", op, f.status, says)
	case launchpad.ECONFLICT:
		e = launchpad.Errorf(code, "%s: conflict (Fly answered %d%s)", op, f.status, says)
	case launchpad.EINVALID:
		e = launchpad.Errorf(code, "%s: Fly refused the request (%d %s%s)", op, f.status, http.StatusText(f.status), says)
	case launchpad.ERATELIMITED:
		e = launchpad.Errorf(code, "%s: Fly is rate limiting this token (429 Too Many Requests %s); try again later", op, tries)
		e.RetryAfter = f.retryAfter
	default:
		switch {
		case f.status != 0:
			e = launchpad.Errorf(code, "%s: Fly answered %d %s %s%s; it may be having trouble, try again later", op, f.status, http.StatusText(f.status), tries, says)
		case f.timeout:
			e = launchpad.Errorf(code, "%s: Fly did not answer in time %s (each request waits up to %s)", op, tries, c.timeout)
		case f.unreadable:
			e = launchpad.Errorf(code, "%s: Fly's answer could not be read %s (%s)", op, tries, f.detail)
		default:
			e = launchpad.Errorf(code, "%s: could not reach Fly %s (%s)", op, tries, f.detail)
		}
		e.RetryAfter = f.retryAfter
	}
	if note != "" {
		e.Message += "; " + note
	}
	e.Message = redact.String(e.Message)
	return e
}

// lookupFailed reports that checking for the effect of an ambiguous attempt failed.
func (c *Client) lookupFailed(op string, err error, secrets []string) error {
	return &launchpad.Error{
		Code:       launchpad.ErrorCode(err),
		Message:    c.redact.With(secrets...).String(op + ": an attempt may have succeeded, and checking for it failed: " + launchpad.ErrorMessage(err)),
		RetryAfter: launchpad.ErrorRetryAfter(err),
	}
}

// cancelled reports that ctx ended before the call did. The error carries both the coded
// error and ctx's error, so errors.Is(err, context.Canceled) still works.
func (c *Client) cancelled(ctx context.Context, op string) error {
	cause := ctx.Err()
	what := "was cancelled"
	if errors.Is(cause, context.DeadlineExceeded) {
		what = "ran out of time"
	}
	return &cancelError{
		err:   launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: %s before Fly answered", op, what),
		cause: cause,
	}
}

type cancelError struct {
	err   *launchpad.Error
	cause error
}

func (e *cancelError) Error() string   { return e.err.Error() }
func (e *cancelError) Unwrap() []error { return []error{e.err, e.cause} }

// isDialError reports whether err happened while connecting, before any byte was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
