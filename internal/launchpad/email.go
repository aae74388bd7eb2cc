package launchpad

import (
	"net"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address accepted, in bytes: RFC 5321's 256-octet path less
// its angle brackets.
const MaxEmailLength = 254

// maxEmailLocalLength is RFC 5321's limit on the part before the '@'.
const maxEmailLocalLength = 64

// emailDomainProfile turns a domain into the ASCII (punycode) form DNS looks up: UTS 46
// mapping (so fullwidth letters and capitals become their plain forms), the label rules of
// RFC 5891 and the letters-digits-hyphen rule, the Bidi rule, and DNS lengths. Non-transitional,
// as browsers and IDNA2008 resolve: "ß" stays a letter of its own.
var emailDomainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
	idna.Transitional(false),
)

// CanonicalEmail returns the one form of an address that accounts are keyed by, so that
// look-alikes of an address are the same account rather than accounts of their own: NFKC
// (fullwidth and other compatibility forms become their plain letters; "e" followed by a
// combining acute accent becomes the precomposed "é"), the local part case-folded, the domain
// through IDNA to its ASCII (punycode) form. "é" and "e" stay distinct, as they are at mail
// servers.
//
// Addresses that do not name a mailbox at a DNS domain are refused with EINVALID and a message
// saying what to send instead: IP-literal ("[127.0.0.1]") and bare IP domains, domains without
// a dot or with a label that is not valid DNS syntax, an empty local part, display names,
// quoting, comments, invisible or line-breaking characters, and addresses longer than
// MaxEmailLength.
func CanonicalEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EINVALID, "email is empty; send an address like name@example.com")
	}
	// Checked before normalising too, so a huge input costs nothing; NFKC can grow a string,
	// so the length is checked again at the end.
	if len(s) > 4*MaxEmailLength {
		return "", emailTooLong(s)
	}
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "email %q is not valid UTF-8 text; send an address like name@example.com", Clip(s, 80))
	}
	s = norm.NFKC.String(s)
	if strings.ContainsAny(s, "\r\n<>,;\"() ") || strings.Contains(s, "=?") ||
		strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", Errorf(EINVALID, "email %q is not a plain address (no display name, quotes, comments, spaces or invisible characters); send one like name@example.com", Clip(s, 80))
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", Errorf(EINVALID, "email %q has no '@'; send an address like name@example.com", Clip(s, 80))
	}
	local, domain := s[:at], s[at+1:]
	if local == "" {
		return "", Errorf(EINVALID, "email %q has nothing before the '@'; send an address like name@example.com", Clip(s, 80))
	}
	domain, err := canonicalEmailDomain(s, domain)
	if err != nil {
		return "", err
	}
	// Folding can leave a string that is not in normal form (and NFKC can change what folding
	// produced), so both run: the result is a fixed point, canonical of canonical is itself.
	local = norm.NFKC.String(cases.Fold().String(local))
	if len(local) > maxEmailLocalLength {
		return "", Errorf(EINVALID, "email %q has a name before the '@' longer than %d bytes; use a shorter address, like name@example.com", Clip(s, 80), maxEmailLocalLength)
	}
	addr := local + "@" + domain
	if len(addr) > MaxEmailLength {
		return "", emailTooLong(s)
	}
	// net/mail checks the local part's dot-atom syntax: no leading, trailing or double dot,
	// no character an address may not carry unquoted.
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		return "", Errorf(EINVALID, "email %q is not a valid address; send one like name@example.com", Clip(s, 80))
	}
	return addr, nil
}

// canonicalEmailDomain returns domain in the ASCII form DNS looks up, or why it cannot be
// mailed: the message quotes the whole address s.
func canonicalEmailDomain(s, domain string) (string, error) {
	if strings.HasPrefix(domain, "[") {
		return "", Errorf(EINVALID, "email %q has an IP-literal domain %q; IP addresses are not accepted, use an address at a domain name, like name@example.com", Clip(s, 80), Clip(domain, 60))
	}
	if net.ParseIP(domain) != nil {
		return "", Errorf(EINVALID, "email %q has an IP address %q as its domain; use an address at a domain name, like name@example.com", Clip(s, 80), Clip(domain, 60))
	}
	if domain == "" {
		return "", Errorf(EINVALID, "email %q has nothing after the '@'; send an address like name@example.com", Clip(s, 80))
	}
	ascii, err := emailDomainProfile.ToASCII(domain)
	if err != nil {
		return "", Errorf(EINVALID, "email %q: the domain %q is not a valid domain name (each label 1-63 letters, digits or hyphens, not starting or ending with a hyphen); check the spelling after the '@' (an address like name@example.com)", Clip(s, 80), Clip(domain, 60))
	}
	ascii = strings.ToLower(ascii)
	dot := strings.LastIndexByte(ascii, '.')
	if dot < 0 {
		return "", Errorf(EINVALID, "email %q: the domain %q is not a full domain name (it has no dot); send an address like name@example.com", Clip(s, 80), Clip(domain, 60))
	}
	// No top-level domain is all digits (RFC 3696 §2): "127.1" and "0x7f.1"-style hosts are
	// addresses that resolvers read as IPs, not names.
	if tld := ascii[dot+1:]; strings.IndexFunc(tld, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		return "", Errorf(EINVALID, "email %q has an IP address %q as its domain; use an address at a domain name, like name@example.com", Clip(s, 80), Clip(domain, 60))
	}
	return ascii, nil
}

func emailTooLong(s string) error {
	return Errorf(EINVALID, "email %q is longer than %d bytes; use a shorter address, like name@example.com", Clip(s, 80), MaxEmailLength)
}

// LegacyEmail is the form addresses were stored in before CanonicalEmail: trimmed and
// lower-cased. Lookups fall back to it so that accounts not yet rewritten by the `emails --migrate`
// command still sign in instead of being created again.
func LegacyEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
