package retry

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// An attempt that fails is one of three things, and Classify tells them apart: a non-2xx
// answer (*StatusError), no answer at all (*TransportError), or any other error, which means a
// 2xx came back but could not be read or decoded (so the request was applied).

// StatusError is a non-2xx answer. Message is the API's own error text (redacted by the
// client), never the raw body.
type StatusError struct {
	API        string // names the server: "Fly answered 503 …"
	Status     int
	RetryAfter time.Duration // zero when absent
	Message    string
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return e.API + " answered " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	}
	return e.API + " answered " + strconv.Itoa(e.Status) + ": " + e.Message
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// NewStatusError reads the non-2xx answer resp: its status, its Retry-After (an HTTP date is
// counted from now), and the message that message finds in the first 64 KiB of the body.
// The caller closes the body.
func NewStatusError(api string, resp *http.Response, now time.Time, message func(body []byte) string) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &StatusError{
		API:        api,
		Status:     resp.StatusCode,
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now),
		Message:    message(body),
	}
}

// TransportError is a request that got no answer (connection refused or reset, timeout, a
// response cut off). Dial is true when the connection was never made, so the request cannot
// have reached the server.
type TransportError struct {
	Err  error
	Dial bool
}

// NewTransportError wraps the error of a request that got no answer.
func NewTransportError(err error) *TransportError {
	return &TransportError{Err: err, Dial: isDialError(err)}
}

func (e *TransportError) Error() string { return e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// isDialError reports whether err happened while connecting, before any byte was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// JSONMessage extracts the human part of a JSON error body — {"error": "..."},
// {"error": {"message": "..."}} or {"message": "..."} — clipped to 300 characters. ok is
// false when the body is not JSON; what to make of such a body is the client's choice.
func JSONMessage(body []byte) (msg string, ok bool) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", false
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return clip(s), true
	}
	var nested struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &nested) == nil && nested.Message != "" {
		return clip(nested.Message), true
	}
	return clip(v.Message), true
}

// clip bounds an API message so a hostile or broken server cannot flood an error.
func clip(s string) string { return launchpad.Clip(strings.TrimSpace(s), 300) }
