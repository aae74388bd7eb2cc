// Package redact keeps secrets out of text bound for an error or a log line. An API client
// holds one Redactor made from its credentials and the pattern of the keys its API hands out,
// so that neither a known secret nor anything shaped like one ever leaves in a message.
package redact

import (
	"regexp"
	"sort"
	"strings"
)

// Mask replaces every secret removed from a text.
const Mask = "[REDACTED]"

// minSecretLength keeps redaction from mangling messages with very short "secrets".
const minSecretLength = 4

// Redactor removes known secrets and anything matching its shape. The zero value removes
// nothing; a Redactor is safe for concurrent use once built (With returns a new one).
type Redactor struct {
	shape   *regexp.Regexp // may be nil
	secrets []string       // longest first
}

// New returns a Redactor for the given secrets (shorter than four bytes ones are ignored)
// and for any text matching shape (nil: none).
func New(shape *regexp.Regexp, secrets ...string) *Redactor {
	r := &Redactor{shape: shape}
	for _, s := range secrets {
		r.add(s)
	}
	return r
}

func (r *Redactor) add(s string) {
	if len(s) < minSecretLength {
		return
	}
	r.secrets = append(r.secrets, s)
	// Longest first, so a secret that contains another is removed whole.
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// With returns a Redactor that also removes values (for example a secret being set); r is
// left as it was.
func (r *Redactor) With(values ...string) *Redactor {
	n := &Redactor{shape: r.shape, secrets: append([]string(nil), r.secrets...)}
	for _, v := range values {
		n.add(v)
	}
	return n
}

// String returns s without any secret.
func (r *Redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Mask)
	}
	if r.shape == nil {
		return s
	}
	return r.shape.ReplaceAllString(s, Mask)
}
