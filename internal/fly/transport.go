package fly

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/redact"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
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

// answerTransport turns every answer that is not a success into an error before flaps (and
// the rehttp layer fly-go wraps around every transport) sees it:
//
//   - a non-2xx response becomes *retry.StatusError (status, Retry-After, the API's
//     message), so rehttp's RetryStatuses(502, 503) never matches and flaps never copies a
//     raw body into an error;
//   - a network failure becomes *retry.TransportError, which has no Temporary() method, so
//     rehttp's RetryTemporaryErr never matches either.
//
// The retry loop (Client.call, on retry.Loop) then classifies these two types and is the
// only retry.
type answerTransport struct {
	next   http.RoundTripper
	redact *redact.Redactor
	now    func() time.Time
	log    *slog.Logger
}

func (t *answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.log.Debug("fly request failed", "method", req.Method, "path", req.URL.Path, "error", t.redact.String(err.Error()), "elapsed", time.Since(start))
		return nil, retry.NewTransportError(err)
	}
	t.log.Debug("fly request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, retry.NewStatusError("Fly", resp, t.now(), func(body []byte) string {
		return t.redact.String(apiMessage(body))
	})
}

// apiMessage extracts the human part of a Fly error body: {"error": "..."} or
// {"message": "..."}; a short plain-text body is used as it is; anything else is dropped.
func apiMessage(body []byte) string {
	if msg, ok := retry.JSONMessage(body); ok {
		return msg
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
