package openrouter

import (
	"regexp"
	"sort"
	"strings"
)

// redactor removes secrets from text before it reaches an error or a log line: the
// management key, any value passed to With, and anything shaped like an OpenRouter key.
type redactor struct {
	secrets []string
}

// keyShape matches OpenRouter API and management keys (sk-or-v1-…).
var keyShape = regexp.MustCompile(`sk-or-[A-Za-z0-9_-]+`)

// minSecretLength keeps redaction from mangling messages with very short "secrets".
const minSecretLength = 4

func newRedactor(secrets ...string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		r.add(s)
	}
	return r
}

func (r *redactor) add(s string) {
	if len(s) < minSecretLength {
		return
	}
	r.secrets = append(r.secrets, s)
	// Longest first, so a secret that contains another is removed whole.
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// String returns s without any secret.
func (r *redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	return keyShape.ReplaceAllString(s, "[REDACTED]")
}
