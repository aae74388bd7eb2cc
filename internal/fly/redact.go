package fly

import (
	"regexp"
	"strings"

	"github.com/superfly/fly-go/tokens"

	"github.com/clawdrun/terraform-provider-launchpad/internal/redact"
)

// flyTokenShape matches Fly macaroon tokens (fm1r_…, fm1a_…, fm2_…), with or without the
// FlyV1 scheme.
var flyTokenShape = regexp.MustCompile(`(?:FlyV1\s+)?fm(?:1[ar]|2)_[A-Za-z0-9+/=_,-]+`)

// newRedactor returns the redactor that removes secrets from text before it reaches an error
// or a log line: the API token (whole, and each of its comma-separated parts), any value later
// passed to With, and anything shaped like a Fly macaroon token.
func newRedactor(token string) *redact.Redactor {
	stripped := tokens.StripAuthorizationScheme(token)
	secrets := []string{token, stripped}
	for _, part := range strings.Split(stripped, ",") {
		secrets = append(secrets, strings.TrimSpace(part))
	}
	return redact.New(flyTokenShape, secrets...)
}
