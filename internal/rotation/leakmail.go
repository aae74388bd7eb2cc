package rotation

import (
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// reenrolMail tells a user that their authenticator must be enrolled again. It holds no
// secret and no link that signs in: only the dashboard's address.
func reenrolMail(to, publicURL string) launchpad.Message {
	where := "the Launchpad dashboard"
	if publicURL != "" {
		where = publicURL
	}
	return launchpad.Message{
		To:      to,
		Subject: "Action needed: set up your Launchpad authenticator again",
		Text: fmt.Sprintf("We rotated Launchpad's platform secret after a security incident. The secret your "+
			"authenticator app uses for Launchpad was stored under the old one, so it is no longer accepted.\n\n"+
			"At your next sign-in at %s, enter the emailed code, then one of your recovery codes instead of the "+
			"authenticator code. Then open Security and set up two-factor authentication again: you get a new "+
			"QR code and new recovery codes. If you have no recovery code left, the emailed code alone signs you in "+
			"until you set it up again, so please do it at once.\n\n"+
			"Your agent's model key was replaced too; you need not do anything about it.\n", where),
	}
}
