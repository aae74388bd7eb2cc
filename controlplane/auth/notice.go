package auth

import (
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// securityNotice is a mail telling the user of a change to their account's security: what
// happened, then when, from which browser and from which address, then advice on what to do
// if it was not them, in which %s stands for the dashboard's address.
func securityNotice(to, subject, what string, at time.Time, userAgent, ip, advice, publicURL string) launchpad.Message {
	return launchpad.Message{
		To:      to,
		Subject: subject,
		Text: what + fmt.Sprintf("\n\n    When:    %s\n    Browser: %s\n    IP:      %s\n\n", at.UTC().Format(time.RFC1123), userAgent, ip) +
			fmt.Sprintf(advice, publicURL),
	}
}
