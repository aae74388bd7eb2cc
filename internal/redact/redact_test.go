package redact_test

import (
	"regexp"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/redact"
)

func TestString(t *testing.T) {
	shape := regexp.MustCompile(`tok_[a-z0-9]+`)
	r := redact.New(shape, "abc", "hunter2", "hunter2-and-more")
	tests := []struct{ in, want string }{
		{"password hunter2", "password [REDACTED]"},
		// The longer secret goes whole, not as the shorter one plus a tail.
		{"hunter2-and-more here", "[REDACTED] here"},
		// Too short to be a secret: removing it would mangle ordinary words.
		{"abc", "abc"},
		// Never given, but shaped like a key of the API.
		{"minted tok_9f8e7d", "minted [REDACTED]"},
		{"nothing to hide", "nothing to hide"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithLeavesTheOriginalAlone(t *testing.T) {
	r := redact.New(nil, "first-secret")
	w := r.With("second-secret")
	if got := w.String("first-secret second-secret"); got != "[REDACTED] [REDACTED]" {
		t.Errorf("With: %q", got)
	}
	if got := r.String("first-secret second-secret"); got != "[REDACTED] second-secret" {
		t.Errorf("the original changed: %q", got)
	}
}
