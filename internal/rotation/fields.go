package rotation

import (
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// fieldName names the sealed field p of u for reports, by its address. User.SealedFields is
// the one list of sealed fields; a field added there later is still re-sealed and reported,
// by position, until it gets a name here.
func fieldName(u *launchpad.User, p *string, position int) string {
	switch p {
	case &u.OpenRouterKey:
		return "openrouter_key"
	case &u.BYOKKey:
		return "byok_key"
	case &u.MFA.SealedSecret:
		return "mfa.totp_secret"
	default:
		return fmt.Sprintf("sealed field %d", position)
	}
}
