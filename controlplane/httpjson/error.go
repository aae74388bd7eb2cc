package httpjson

import (
	"math"
	"net/http"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// ErrorBody is the JSON body of every error answer: {"error":{"code":…,"message":…}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a coded error as clients see it.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RequestIDHeader carries the request id the server's middleware gives every answer; an
// internal error's message asks the client to quote it.
const RequestIDHeader = "X-Request-Id"

// Error answers err with its code's status (Status), in the envelope, with Retry-After
// (SetRetryAfter). The caller logs what it needs to first: uncoded errors (bugs, driver
// failures) are answered as "internal" with the request id of the answer's X-Request-Id, so
// nothing internal reaches the client.
func Error(w http.ResponseWriter, err error) {
	SetRetryAfter(w.Header(), err)
	Write(w, Status(launchpad.ErrorCode(err)), Envelope(err, w.Header().Get(RequestIDHeader)))
}

// Envelope is err as a client sees it: its code and message, or for an internal error a
// message that only names the request id to quote. Streams whose status is already sent
// write it as an event.
func Envelope(err error, requestID string) ErrorBody {
	code, msg := launchpad.ErrorCode(err), launchpad.ErrorMessage(err)
	if code == launchpad.EINTERNAL {
		msg = "Internal error; quote request id " + requestID + " when reporting it."
	}
	return ErrorBody{Error: ErrorDetail{Code: code, Message: msg}}
}

// SetRetryAfter sets Retry-After when err says when to try again (its RetryAfter) and always
// for rate_limited: the delay rounded up to whole seconds, at least 1, so a client that waits
// as told is not refused again for being a fraction of a second early.
func SetRetryAfter(h http.Header, err error) {
	ra := launchpad.ErrorRetryAfter(err)
	if ra > 0 || launchpad.ErrorCode(err) == launchpad.ERATELIMITED {
		h.Set("Retry-After", strconv.Itoa(int(max(1, math.Ceil(ra.Seconds())))))
	}
}
