package envelope_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope/envelopetest"
)

// Test secrets: long enough, distinct, and easy to spot if one ever appears in an error.
const (
	secretA = "test-secret-A-7c1f0e9b3a5d48e2a6b4c0d2e8f1a3b5"
	secretB = "test-secret-B-2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c"
	secretC = "test-secret-C-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
	userID  = "u7k2p9x4m1q8r5t3w6y0"
	otherID = "a1b2c3d4e5f6g7h8i9j0"
)

// sentinels are every error the package can return for a bad value or configuration.
var sentinels = []error{
	envelope.ErrSecretTooShort, envelope.ErrSameKeyID, envelope.ErrMissingUserID,
	envelope.ErrMalformed, envelope.ErrUnknownKeyID, envelope.ErrDecrypt,
	envelope.ErrKeyErased, envelope.ErrNeedsUserKey,
}

// mustKeyring returns the keyring for secret and previous, failing the test if either is refused.
var mustKeyring = envelopetest.Keyring

func mustSeal(t testing.TB, k *envelope.Keyring, plaintext []byte, uid string) string {
	t.Helper()
	s, err := k.Seal(plaintext, uid)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return s
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// split returns the header ("v1.<id>.") and the decoded payload of a sealed value, reading the
// documented format independently of the package.
func split(t testing.TB, sealed string) (header string, raw []byte) {
	t.Helper()
	i := strings.LastIndexByte(sealed, '.')
	if i < 0 {
		t.Fatalf("sealed value %q has no '.'", sealed)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sealed[i+1:])
	if err != nil {
		t.Fatalf("payload of %q is not unpadded base64url: %v", sealed, err)
	}
	return sealed[:i+1], raw
}

func join(header string, raw []byte) string {
	return header + base64.RawURLEncoding.EncodeToString(raw)
}

// matchedSentinels lists the sentinels err matches.
func matchedSentinels(err error) []error {
	var out []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

// requireOnly fails unless err matches want and no other sentinel.
func requireOnly(t testing.TB, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	got := matchedSentinels(err)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("error %q matches %v, want exactly %v", err, got, want)
	}
}

func equalBytes(t testing.TB, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("plaintext differs: got %d bytes, want %d bytes", len(got), len(want))
	}
}
