package launchpad

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Every layer that reports errors to a person maps these, and only these, to its
// own vocabulary: the HTTP layer to statuses, the provider to diagnostics.
const (
	ENOTFOUND     = "not_found"    // the thing does not exist (or no longer does)
	ECONFLICT     = "conflict"     // it exists already, or it changed underneath the caller
	EINVALID      = "invalid"      // the input is wrong; the message says how to fix it
	EUNAUTHORIZED = "unauthorized" // missing, wrong, expired or revoked credentials
	// ESTEPUP: the credentials are valid, but the action needs a recent sign-in (a step-up:
	// the emailed code again, and the authenticator code when two-factor is on); the message
	// says how to re-verify.
	ESTEPUP      = "step_up_required"
	ERATELIMITED = "rate_limited" // too many requests or attempts; see Error.RetryAfter
	EUNAVAILABLE = "unavailable"  // a dependency is down or timing out; retrying may help
	EINTERNAL    = "internal"     // a bug or an unexpected failure; details are only logged
)

// Error is an error with a code a caller can branch on and a message a person can act on.
// The message never contains a secret: it is shown to users, written to logs and to
// Terraform diagnostics as it is.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when non-zero, is how long the caller should wait before trying again
	// (ERATELIMITED, sometimes EUNAVAILABLE).
	RetryAfter time.Duration

	// cause is the error this one wraps (see Wrapf), for errors.Is and errors.As.
	cause error
}

// Unwrap returns the wrapped error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Wrapf puts context in front of err's message and keeps its code and RetryAfter, so a
// message reads "creating volume for lp-…: Fly answered 422: …" while callers still branch on
// the code. It returns nil for nil.
func Wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{
		Code:       ErrorCode(err),
		Message:    fmt.Sprintf(format, args...) + ": " + ErrorMessage(err),
		RetryAfter: ErrorRetryAfter(err),
		cause:      err,
	}
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the message of the first *Error in err's chain. Any other error is
// reported as "Internal error." so that unexpected details (which may hold secrets or
// internals) reach only the logs.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Internal error."
	}
}

// ErrorRetryAfter returns the RetryAfter of the first *Error in err's chain, or zero.
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// IsNotFound reports whether err carries ENOTFOUND.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// IsConflict reports whether err carries ECONFLICT.
func IsConflict(err error) bool { return ErrorCode(err) == ECONFLICT }
