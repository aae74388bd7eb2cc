package httpjson

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestRetryAfterIsRoundedUpToWholeSeconds(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&launchpad.Error{Code: launchpad.ERATELIMITED, RetryAfter: 59400 * time.Millisecond}, "60"},
		{&launchpad.Error{Code: launchpad.ERATELIMITED, RetryAfter: time.Minute}, "60"},
		{&launchpad.Error{Code: launchpad.ERATELIMITED, RetryAfter: 10 * time.Millisecond}, "1"},
		{&launchpad.Error{Code: launchpad.ERATELIMITED}, "1"},
		{&launchpad.Error{Code: launchpad.EUNAVAILABLE, RetryAfter: 5 * time.Second}, "5"},
		{launchpad.Errorf(launchpad.EUNAVAILABLE, "down"), ""},
		{launchpad.Errorf(launchpad.EINVALID, "bad"), ""},
	} {
		h := http.Header{}
		SetRetryAfter(h, c.err)
		if got := h.Get("Retry-After"); got != c.want {
			t.Errorf("%v: Retry-After %q, want %q", c.err, got, c.want)
		}
	}
}

func TestErrorAnswersTheEnvelopeAndHidesInternals(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set(RequestIDHeader, "req123")
	Error(rec, errors.New("pq: password=hunter2 rejected"))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "hunter2") ||
		rec.Body.String() != `{"error":{"code":"internal","message":"Internal error; quote request id req123 when reporting it."}}`+"\n" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	Error(rec, launchpad.Errorf(TooLarge, "the request body is larger than 10 bytes"))
	if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" ||
		rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Content-Type-Options") != "nosniff" ||
		rec.Body.String() != `{"error":{"code":"too_large","message":"the request body is larger than 10 bytes"}}`+"\n" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
}
