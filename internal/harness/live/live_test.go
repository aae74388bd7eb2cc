package live

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// What a live run names and configures by default passes the provider's own rules, so a live
// run cannot fail on its defaults before it reaches the real services.
func TestDefaultsPassTheProvidersRules(t *testing.T) {
	c := FromEnv(func(string) string { return "" })
	for what, err := range map[string]error{
		"image":   launchpad.ValidateImage(c.Image),
		"region":  launchpad.ValidateRegion(c.Region),
		"user id": launchpad.ValidateUserID(c.UserID()),
		"plan":    launchpad.ValidatePlanName("live-small"),
	} {
		if err != nil {
			t.Errorf("the default %s: %v", what, err)
		}
	}
}
