package envelope_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Every failure is a coded launchpad error (EINVALID, with a message a person can act on) and
// matches exactly one sentinel; none of the messages carries a secret, a key, a plaintext or
// the sealed input.
func TestErrorsAreCodedAndLeakNothing(t *testing.T) {
	plaintext := "sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	k := mustKeyring(t, secretB, secretA)
	sealed := mustSeal(t, k, []byte(plaintext), userID)
	header, raw := split(t, sealed)
	tampered := append([]byte(nil), raw...)
	tampered[20] ^= 0x40

	forbidden := []string{secretA, secretB, secretC, plaintext, sealed, sealed[len(header):]}
	for _, secret := range []string{secretA, secretB, secretC} {
		key := envelope.SealingKeyOf(secret)
		forbidden = append(forbidden, hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key), string(key))
		for _, d := range mustKeyring(t, secret, "").Derive("session-signing") {
			forbidden = append(forbidden, hex.EncodeToString(d.Key), base64.RawURLEncoding.EncodeToString(d.Key), string(d.Key))
		}
	}

	cases := []struct {
		name string
		err  func() error
		want error
	}{
		{"short secret", func() error { _, err := envelope.NewKeyring(secretA[:31], ""); return err }, envelope.ErrSecretTooShort},
		{"short previous", func() error { _, err := envelope.NewKeyring(secretA, secretB[:20]); return err }, envelope.ErrSecretTooShort},
		{"same secret twice", func() error { _, err := envelope.NewKeyring(secretA, secretA); return err }, envelope.ErrSameKeyID},
		{"seal without user", func() error { _, err := k.Seal([]byte(plaintext), ""); return err }, envelope.ErrMissingUserID},
		{"plaintext where a sealed value belongs", func() error { _, err := k.Open(plaintext, userID); return err }, envelope.ErrMalformed},
		{"plaintext in the payload", func() error { _, err := k.Open(header+plaintext, userID); return err }, envelope.ErrMalformed},
		{"plaintext as the version", func() error { _, err := k.Open(plaintext+"."+sealed, userID); return err }, envelope.ErrMalformed},
		{"truncated", func() error { _, err := k.Open(sealed[:40], userID); return err }, envelope.ErrMalformed},
		{"unknown key id", func() error { _, err := mustKeyring(t, secretC, "").Open(sealed, userID); return err }, envelope.ErrUnknownKeyID},
		{"wrong user", func() error { _, err := k.Open(sealed, otherID); return err }, envelope.ErrDecrypt},
		{"tampered", func() error { _, err := k.Open(join(header, tampered), userID); return err }, envelope.ErrDecrypt},
		{"reseal tampered", func() error { _, err := k.Reseal(join(header, tampered), userID); return err }, envelope.ErrDecrypt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			requireOnly(t, err, tc.want)
			if code := launchpad.ErrorCode(err); code != launchpad.EINVALID {
				t.Fatalf("ErrorCode = %q, want %q", code, launchpad.EINVALID)
			}
			msg := launchpad.ErrorMessage(err)
			if msg == "" || msg == "Internal error." || !strings.Contains(err.Error(), msg) {
				t.Fatalf("ErrorMessage = %q for error %q: want the coded message", msg, err)
			}
			for _, f := range forbidden {
				if strings.Contains(err.Error(), f) {
					t.Fatalf("error %q contains forbidden text (%d bytes)", err, len(f))
				}
			}
			t.Logf("%s", err)
		})
	}
}
