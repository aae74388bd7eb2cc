package launchpad_test

import (
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice@Example.COM", "alice@example.com"}, // case folded, local part included
		{"  bob@example.org\t\n", "bob@example.org"},
		{"a+tag@b.co", "a+tag@b.co"},
		{"first.last@sub.example.co.uk", "first.last@sub.example.co.uk"},
		{"ÄLICE@example.com", "älice@example.com"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := launchpad.NormalizeEmail(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormalizeEmailRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"blank", " \t "},
		{"header injection CRLF", "a@b.c\r\nBcc: x@evil.example"},
		{"header injection LF", "a@b.c\nBcc: x@evil.example"},
		{"header injection CR", "a@b.c\rBcc: x@evil.example"},
		{"header injection in the local part", "a\r\nBcc: x@evil.example@b.c"},
		{"display name", "Alice <alice@example.com>"},
		{"quoted display name", `"Alice" <alice@example.com>`},
		{"angle brackets only", "<alice@example.com>"},
		{"comment", "alice@example.com (Alice)"},
		{"comment in the local part", "alice(x)@example.com"},
		{"quoted local part", `"alice"@example.com`},
		{"two addresses", "a@b.c,x@y.z"},
		{"group syntax", "team: a@b.c;"},
		{"no at sign", "alice.example.com"},
		{"no local part", "@example.com"},
		{"no domain", "alice@"},
		{"domain without a dot", "alice@localhost"},
		{"domain ending in a dot", "alice@example.com."},
		{"double dot", "alice..b@example.com"},
		{"inner space", "al ice@example.com"},
		{"tab inside", "alice@exa\tmple.com"},
		{"NUL", "alice\x00@example.com"},
		{"longer than 254", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".com"},
		// Invisible and line-breaking characters that are not ASCII: they make two addresses
		// look alike in logs and the audit panel, or break lines in some log viewers.
		{"next line U+0085", "alice\u0085@example.com"},
		{"line separator U+2028", "alice@example.com\u2028x"},
		{"right-to-left override", "alice\u202e@example.com"},
		{"zero-width space", "ali\u200bce@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.NormalizeEmail(tc.in)
			requireInvalid(t, err, "name@example.com")
			if got != "" {
				t.Fatalf("NormalizeEmail returned %q with an error", got)
			}
			// The message quotes the input escaped, so it cannot break a log line.
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") {
				t.Fatalf("error message carries a raw control character: %q", msg)
			}
		})
	}
}
