package envelope

import (
	"crypto/sha256"
	"io"

	"golang.org/x/crypto/hkdf"
)

// NewKeyringWithNonces is NewKeyring with the nonce source replaced, so the fuzz targets can
// seal the same seed values in every fuzzing process.
func NewKeyringWithNonces(secret, previous string, nonces io.Reader) (*Keyring, error) {
	return newKeyring(secret, previous, nonces)
}

// SealingKeyOf recomputes the AES key of a secret, so tests can check it never leaks and
// differs from every derived key.
func SealingKeyOf(secret string) []byte {
	return expand(hkdf.Extract(sha256.New, []byte(secret), []byte(hkdfSalt)), infoSealingKey, 32)
}
