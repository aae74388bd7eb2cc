package auth

import (
	"strings"
	"testing"
)

func TestSanitizeUserAgent(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "unknown client",
		"  Firefox  ":            "Firefox",
		"evil\r\nBcc: x@y.z":     "evilBcc: x@y.z",
		strings.Repeat("é", 200): strings.Repeat("é", 128),
	} {
		if got := sanitizeUserAgent(in); got != want {
			t.Errorf("sanitizeUserAgent(%q) = %q, want %q", in, got, want)
		}
	}
}
