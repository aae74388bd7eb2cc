package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// newSignInCode returns six decimal digits, uniform over 000000-999999: crypto/rand.Int
// rejects out-of-range draws instead of reducing modulo 10^6, so no code is more likely.
func newSignInCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// signInCodeMAC is what the store keeps instead of the code: HMAC-SHA256 under a key derived
// from the platform secret ("signin-code"), over the address and the code, so a stored value
// neither reveals the code (without the secret, a million guesses per address are useless)
// nor matches for another address.
func signInCodeMAC(key []byte, email, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("launchpad-signin-code-v1\x00" + email + "\x00" + code))
	return m.Sum(nil)
}

// codeMatcher compares a guess with the stored MAC under every derived key, current first,
// in constant time, so codes issued before a PLATFORM_SECRET rotation still work.
func (s *Service) codeMatcher(email, code string) func([]byte) bool {
	return func(stored []byte) bool {
		ok := false
		for _, k := range s.codeKeys {
			ok = hmac.Equal(signInCodeMAC(k.Key, email, code), stored) || ok
		}
		return ok
	}
}

// normalizeCode accepts the six digits as typed: spaces and dashes are dropped.
func normalizeCode(code string) (string, error) {
	code = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code))
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", launchpad.Errorf(launchpad.EINVALID, "code must be the 6 digits from the sign-in email")
	}
	return code, nil
}
