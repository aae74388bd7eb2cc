package fly

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// rewriteTransport sends every request to base instead of the host flaps built it for. flaps
// takes its base URL only from the FLY_FLAPS_BASE_URL environment variable; rewriting here
// keeps the endpoint an injected value (several clients with different endpoints can live in
// one process).
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.URL.User = t.base.User
	if t.base.Path != "" {
		r.URL.Path = t.base.Path + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = t.base.EscapedPath() + r.URL.RawPath
		}
	}
	r.Host = ""
	return t.next.RoundTrip(r)
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// answerTransport turns every answer that is not a success into an error before flaps (and
// the rehttp layer fly-go wraps around every transport) sees it:
//
//   - a non-2xx response becomes *statusError (status, Retry-After, the API's message), so
//     rehttp's RetryStatuses(502, 503) never matches and flaps never copies a raw body into
//     an error;
//   - a network failure becomes *transportError, which has no Temporary() method, so
//     rehttp's RetryTemporaryErr never matches either.
//
// The retry loop of this package then classifies these two types and is the only retry.
type answerTransport struct {
	next   http.RoundTripper
	redact *redactor
	now    func() time.Time
	log    *slog.Logger
}

func (t *answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.log.Debug("fly request failed", "method", req.Method, "path", req.URL.Path, "error", t.redact.String(err.Error()), "elapsed", time.Since(start))
		return nil, &transportError{err: err, dial: isDialError(err)}
	}
	t.log.Debug("fly request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, &statusError{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), t.now()),
		Message:    t.redact.String(apiMessage(body)),
	}
}

// statusError is a non-2xx answer from Fly. Message is the API's own error text (redacted),
// never the raw body.
type statusError struct {
	Status     int
	RetryAfter time.Duration // zero when absent
	Message    string
}

func (e *statusError) Error() string {
	if e.Message == "" {
		return "Fly answered " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	}
	return "Fly answered " + strconv.Itoa(e.Status) + ": " + e.Message
}

// transportError is a request that got no answer (connection refused or reset, timeout, a
// response cut off). dial is true when the connection was never made, so the request cannot
// have reached Fly.
type transportError struct {
	err  error
	dial bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// apiMessage extracts the human part of a Fly error body: {"error": "..."} or
// {"message": "..."}; a short plain-text body is used as it is; anything else is dropped.
func apiMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		if json.Unmarshal(v.Error, &s) == nil && s != "" {
			return clip(s)
		}
		var nested struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &nested) == nil && nested.Message != "" {
			return clip(nested.Message)
		}
		return clip(v.Message)
	}
	text := strings.TrimSpace(string(body))
	if text == "" || len(text) > 200 || strings.ContainsAny(text, "<\n") {
		return ""
	}
	for _, r := range text {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return text
}

// clip bounds an API message so a hostile or broken server cannot flood an error.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
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
