package retry

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 1.5 ", 1500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

// Fly and OpenRouter put their message in different places; both shapes, and the plain
// "message" field, are read, and a body that is not JSON is left to the client.
func TestJSONMessage(t *testing.T) {
	long := make([]rune, 400)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		body   string
		want   string
		wantOK bool
	}{
		{`{"error":"app not found"}`, "app not found", true},
		{`{"error":{"code":401,"message":"Missing Authentication header"}}`, "Missing Authentication header", true},
		{`{"message":"  not implemented here "}`, "not implemented here", true},
		{`{"error":"","message":"fallback"}`, "fallback", true},
		{`{"error":{"message":""},"message":"fallback"}`, "fallback", true},
		{`{"error":"` + string(long) + `"}`, string(long[:300]) + "…", true},
		{`{}`, "", true},
		{`not json at all`, "", false},
		{`"a JSON string"`, "", false},
	}
	for _, tt := range tests {
		got, ok := JSONMessage([]byte(tt.body))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("JSONMessage(%.40q) = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.wantOK)
		}
	}
}
