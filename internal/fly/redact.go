package fly

import (
	"regexp"
	"sort"
	"strings"

	"github.com/superfly/fly-go/tokens"
)

// redactor removes secrets from text before it reaches an error or a log line: the API
// token (whole, and each of its comma-separated parts), any value passed to With, and
// anything shaped like a Fly macaroon token.
type redactor struct {
	secrets []string
}

// flyTokenShape matches Fly macaroon tokens (fm1r_…, fm1a_…, fm2_…), with or without the
// FlyV1 scheme.
var flyTokenShape = regexp.MustCompile(`(?:FlyV1\s+)?fm(?:1[ar]|2)_[A-Za-z0-9+/=_,-]+`)

// minSecretLength keeps redaction from mangling messages with very short "secrets".
const minSecretLength = 4

func newRedactor(token string) *redactor {
	r := &redactor{}
	r.add(token)
	r.add(tokens.StripAuthorizationScheme(token))
	for _, part := range strings.Split(tokens.StripAuthorizationScheme(token), ",") {
		r.add(strings.TrimSpace(part))
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

// With returns a redactor that also removes values (for example a secret being set).
func (r *redactor) With(values ...string) *redactor {
	n := &redactor{secrets: append([]string(nil), r.secrets...)}
	for _, v := range values {
		n.add(v)
	}
	return n
}

// String returns s without any secret.
func (r *redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	return flyTokenShape.ReplaceAllString(s, "[REDACTED]")
}
