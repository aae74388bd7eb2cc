// Package envelopetest builds the keyrings tests seal and open with.
package envelopetest

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

// Keyring returns the keyring for secret and previous ("" for none), failing the test if
// either is refused.
func Keyring(t testing.TB, secret, previous string) *envelope.Keyring {
	t.Helper()
	k, err := envelope.NewKeyring(secret, previous)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}
