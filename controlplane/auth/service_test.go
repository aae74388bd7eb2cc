package auth

import (
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestNewNamesEveryProblem(t *testing.T) {
	_, err := New(Config{}, Deps{})
	if launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("New with nothing: %v", err)
	}
	for _, want := range []string{"Deps.Store", "Deps.Keyring", "Deps.Mailer", "Deps.Metrics", "AccessTokenTTL", "MailQueueSize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
}
