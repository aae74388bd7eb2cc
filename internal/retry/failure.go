package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Failure is one failed attempt, classified.
type Failure struct {
	Status     int // 0 when the server did not answer
	Message    string
	RetryAfter time.Duration
	Timeout    bool
	Detail     string // what went wrong on the wire when the server did not answer (redacted)
	Unreadable bool   // a 2xx whose body could not be read or decoded
	Retryable  bool
	Ambiguous  bool // the server may have applied the request
}

// Classify reads what went wrong in one attempt. retryConflict makes a 409 retryable (a
// lease held by someone else).
func Classify(err error, retryConflict bool) Failure {
	var se *StatusError
	if errors.As(err, &se) {
		f := Failure{Status: se.Status, Message: se.Message, RetryAfter: se.RetryAfter}
		switch {
		case se.Status == http.StatusTooManyRequests:
			f.Retryable = true // refused before doing anything
		case se.Status == http.StatusConflict && retryConflict:
			f.Retryable = true
		case se.Status == http.StatusRequestTimeout:
			f.Retryable, f.Ambiguous, f.Timeout = true, true, true
		case se.Status == http.StatusNotImplemented:
			// an endpoint the server does not have: retrying will not help
		case se.Status >= 500:
			f.Retryable, f.Ambiguous = true, true
		}
		return f
	}
	f := Failure{Retryable: true, Ambiguous: true}
	var te *TransportError
	if errors.As(err, &te) {
		f.Detail = te.Error()
		f.Ambiguous = !te.Dial // a connection never made carried no request
	} else {
		// A 2xx whose body could not be read or decoded: the request was applied.
		f.Detail, f.Unreadable = err.Error(), true
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		f.Timeout = true
	}
	return f
}

// Reason is a short description for log lines.
func (f Failure) Reason() string {
	switch {
	case f.Status != 0:
		return fmt.Sprintf("status %d", f.Status)
	case f.Timeout:
		return "timeout"
	default:
		return "no answer"
	}
}

// Code maps a failure to the domain's error codes, as both APIs use their statuses. A client
// whose API gives another status a meaning of its own (Fly's 412 and 422) checks it first.
func (f Failure) Code() string {
	switch s := f.Status; {
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
