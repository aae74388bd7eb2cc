package retry

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestGaveUpSaysWhatHappenedInTheAPIsWords(t *testing.T) {
	w := Words{API: "Acme", Credential: "the token", Limited: "this token", Check: "check ACME_TOKEN"}
	tests := []struct {
		name     string
		f        Failure
		attempts int
		want     string
		after    time.Duration
	}{
		{"not found", Failure{Status: 404, Message: "no such thing"}, 1,
			"op: not found (Acme answered 404: no such thing)", 0},
		{"refused credential", Failure{Status: 401}, 1,
			"op: Acme refused the token (401); check ACME_TOKEN", 0},
		{"conflict", Failure{Status: 409, Message: "taken"}, 1,
			"op: conflict (Acme answered 409: taken)", 0},
		{"invalid", Failure{Status: 400, Message: "bad"}, 1,
			"op: Acme refused the request (400 Bad Request: bad)", 0},
		{"rate limited", Failure{Status: 429, RetryAfter: time.Minute}, 4,
			"op: Acme is rate limiting this token (429 Too Many Requests after 4 attempts); try again later", time.Minute},
		{"server in trouble", Failure{Status: 503, RetryAfter: time.Second}, 12,
			"op: Acme answered 503 Service Unavailable after 12 attempts; it may be having trouble, try again later", time.Second},
		{"timeout", Failure{Timeout: true}, 1,
			"op: Acme did not answer in time after 1 attempt (each request waits up to 30s)", 0},
		{"unreadable", Failure{Unreadable: true, Detail: "unexpected EOF"}, 2,
			"op: Acme's answer could not be read after 2 attempts (unexpected EOF)", 0},
		{"no answer", Failure{Detail: "connection refused"}, 2,
			"op: could not reach Acme after 2 attempts (connection refused)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := w.GaveUp("op", tt.f.Code(), tt.f, tt.attempts, 30*time.Second)
			if e.Code != tt.f.Code() || e.Message != tt.want || e.RetryAfter != tt.after {
				t.Errorf("got %s %q (retry after %s)\nwant %s %q (retry after %s)", e.Code, e.Message, e.RetryAfter, tt.f.Code(), tt.want, tt.after)
			}
		})
	}
	// The code is the caller's: a status its API gives a meaning of its own is worded as such.
	if e := w.GaveUp("op", launchpad.ECONFLICT, Failure{Status: 412}, 1, time.Second); e.Message != "op: conflict (Acme answered 412)" {
		t.Errorf("412 read as a conflict: %q", e.Message)
	}
}
