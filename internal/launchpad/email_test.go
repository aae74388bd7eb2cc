package launchpad_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestCanonicalEmailPlain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice@Example.COM", "alice@example.com"}, // case folded, local part included
		{"  bob@example.org\t\n", "bob@example.org"},
		{"a+tag@b.co", "a+tag@b.co"},
		{"first.last@sub.example.co.uk", "first.last@sub.example.co.uk"},
		{"ÄLICE@example.com", "älice@example.com"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := launchpad.CanonicalEmail(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCanonicalEmailRefusesMalformed(t *testing.T) {
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
			got, err := launchpad.CanonicalEmail(tc.in)
			requireInvalid(t, err, "name@example.com")
			if got != "" {
				t.Fatalf("CanonicalEmail returned %q with an error", got)
			}
			// The message quotes the input escaped, so it cannot break a log line.
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") {
				t.Fatalf("error message carries a raw control character: %q", msg)
			}
		})
	}
}

// The look-alikes of one address that used to become accounts of their own: each is the
// same canonical address now, so it signs in to the same account.
func TestCanonicalEmailLookAlikes(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"fullwidth local part", "ｖｉｃｔｉｍ@example.com", "victim@example.com"},
		{"fullwidth capitals", "ＶＩＣＴＩＭ@example.com", "victim@example.com"},
		{"fullwidth domain", "victim@ｅｘａｍｐｌｅ.ｃｏｍ", "victim@example.com"},
		{"fullwidth at sign and dot", "victim＠example．com", "victim@example.com"},
		{"ideographic full stop in the domain", "victim@example\u3002com", "victim@example.com"},
		{"capital domain", "victim@EXAMPLE.com", "victim@example.com"},
		{"combining accent composes", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"precomposed accent", "JOS\u00c9@example.com", "jos\u00e9@example.com"},
		{"ligature", "\ufb01le@example.com", "file@example.com"},
		{"sharp s folds", "STRASSE@example.com", "strasse@example.com"},
		{"eszett folds like its capital", "straße@example.com", "strasse@example.com"},
		{"unicode domain to punycode", "anna@bücher.de", "anna@xn--bcher-kva.de"},
		{"fullwidth unicode domain", "anna@ＢÜＣＨＥＲ.de", "anna@xn--bcher-kva.de"},
		{"punycode domain kept", "anna@xn--bcher-kva.de", "anna@xn--bcher-kva.de"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.CanonicalEmail(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			again, err := launchpad.CanonicalEmail(got)
			if err != nil || again != got {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; a canonical address must be its own canonical form", got, again, err)
			}
		})
	}
}

// "é" and "e" are different letters, and different mailboxes at mail servers: only their
// encodings are merged, never the letters.
func TestCanonicalEmailKeepsAccentsDistinct(t *testing.T) {
	plain, err := launchpad.CanonicalEmail("jose@example.com")
	if err != nil {
		t.Fatal(err)
	}
	accented, err := launchpad.CanonicalEmail("jos\u00e9@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if plain == accented {
		t.Fatalf("jose@ and josé@ both canonicalise to %q; they are different addresses", plain)
	}
}

func TestCanonicalEmailRefusesUnmailableDomains(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"IPv4 literal", "victim@[127.0.0.1]", "IP-literal domain"},
		{"IPv6 literal", "victim@[IPv6:::1]", "IP-literal domain"},
		{"fullwidth brackets", "victim@［127.0.0.1］", "IP-literal domain"},
		{"bare IPv4", "victim@127.0.0.1", "IP address"},
		{"bare IPv6", "victim@::1", "IP address"},
		{"short IPv4", "victim@127.1", "IP address"},
		{"fullwidth digits IPv4", "victim@１２７.０.０.１", "IP address"},
		{"no dot", "victim@localhost", "no dot"},
		{"fullwidth no dot", "victim@ｌｏｃａｌｈｏｓｔ", "no dot"},
		{"underscore label", "victim@exa_mple.com", "not a valid domain name"},
		{"leading hyphen label", "victim@-example.com", "not a valid domain name"},
		{"empty label", "victim@example..com", "not a valid domain name"},
		{"label longer than 63", "victim@" + strings.Repeat("a", 64) + ".com", "not a valid domain name"},
		{"bad punycode", "victim@xn--a.com", "not a valid domain name"},
		{"symbol in domain", "victim@exa$mple.com", "not a valid domain name"},
		{"empty local part", "@example.com", "nothing before the '@'"},
		{"fullwidth empty local part", "＠example.com", "nothing before the '@'"},
		{"local part over 64", strings.Repeat("a", 65) + "@example.com", "longer than 64"},
		{"longer than 254", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", "longer than 254"},
		{"huge", strings.Repeat("a", 5000) + "@example.com", "longer than 254"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.CanonicalEmail(tc.in)
			requireInvalid(t, err, tc.want, "name@example.com")
			if got != "" {
				t.Fatalf("CanonicalEmail returned %q with an error", got)
			}
		})
	}
}

// Whatever comes in, an accepted address is its own canonical form, fits the limit, has an
// ASCII domain with a dot, and carries nothing invisible; a refusal is EINVALID.
func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{"victim@example.com", "ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ", "jose\u0301@example.com", "straße@bücher.de",
		"victim@[127.0.0.1]", "a@b.c", "\ufb01@x.io", "Ⅻ@example.com", "a@xn--bcher-kva.de", "a\u200b@b.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := launchpad.CanonicalEmail(in)
		if err != nil {
			if launchpad.ErrorCode(err) != launchpad.EINVALID {
				t.Fatalf("CanonicalEmail(%q): %v, want an EINVALID error", in, err)
			}
			return
		}
		again, err := launchpad.CanonicalEmail(got)
		if err != nil || again != got {
			t.Fatalf("CanonicalEmail(%q) = %q, whose canonical form is %q, %v", in, got, again, err)
		}
		at := strings.LastIndexByte(got, '@')
		domain := got[at+1:]
		if len(got) > launchpad.MaxEmailLength || at < 1 || !strings.Contains(domain, ".") {
			t.Fatalf("CanonicalEmail(%q) = %q: too long, or no local part, or no dot in the domain", in, got)
		}
		for _, r := range domain {
			if r >= 0x80 || r == '[' {
				t.Fatalf("CanonicalEmail(%q) = %q: the domain is not ASCII DNS syntax", in, got)
			}
		}
		if strings.IndexFunc(got, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0 {
			t.Fatalf("CanonicalEmail(%q) = %q carries an invisible or space character", in, got)
		}
	})
}
