package auth

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

// testSecret is the platform secret of the tests' keyrings.
const testSecret = "test-platform-secret-0123456789-abcdefghijklmnop"

// Tokens signed before a PLATFORM_SECRET rotation stay valid while the old secret is
// PLATFORM_SECRET_PREVIOUS, and new ones are signed with the new key.
func TestTokensSurviveSecretRotation(t *testing.T) {
	oldRing, _ := envelope.NewKeyring(testSecret, "")
	newRing, err := envelope.NewKeyring("the-next-platform-secret-0123456789-abcdefgh", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC) }
	before := &tokenIssuer{keys: oldRing.Derive("session-signing"), issuer: "http://x", now: now}
	after := &tokenIssuer{keys: newRing.Derive("session-signing"), issuer: "http://x", now: now}
	tok, err := before.sign(audienceAccess, "user1", "fam", time.Time{}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.parse(tok, audienceAccess); err != nil {
		t.Fatalf("old token refused after rotation: %v", err)
	}
	fresh, _ := after.sign(audienceAccess, "user1", "fam", time.Time{}, time.Minute)
	if _, err := before.parse(fresh, audienceAccess); err == nil {
		t.Fatal("a server without the new secret accepted a token signed with it")
	}
	// Sign-in codes too: a MAC made under the old key matches under the rotated keyring.
	s := &Service{codeKeys: newRing.Derive("signin-code")}
	mac := signInCodeMAC(oldRing.Derive("signin-code")[0].Key, "ada@example.com", "123456")
	if !s.codeMatcher("ada@example.com", "123456")(mac) || s.codeMatcher("ada@example.com", "123457")(mac) || s.codeMatcher("bob@example.com", "123456")(mac) {
		t.Fatal("code MAC does not survive rotation, or matches the wrong code or address")
	}
}
