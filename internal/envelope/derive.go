package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"golang.org/x/crypto/hkdf"
)

// HKDF labels. Each use of a secret has its own info string, and the prefixes differ, so no
// purpose passed to Derive can produce the sealing key or the key id.
const (
	hkdfSalt          = "launchpad/platform-secret/v1"
	infoSealingKey    = "launchpad/envelope/v1/aes-256-gcm"
	infoKeyID         = "launchpad/envelope/v1/key-id"
	infoPurposePrefix = "launchpad/derive/v1/"
)

const (
	// MinSecretLength is the shortest platform secret NewKeyring accepts, in bytes.
	MinSecretLength = 32
	// DerivedKeyLength is the length of the keys Derive returns, in bytes.
	DerivedKeyLength = 32

	keyIDBytes = 6 // 12 hex characters
)

// secretKey is everything derived from one platform secret. It keeps the HKDF pseudorandom
// key, not the secret, so Derive can expand more keys without extracting again.
type secretKey struct {
	id     string
	header string // "v1.<id>.", the start of every value sealed under this key
	prk    []byte
	aead   cipher.AEAD
}

// newSecretKey runs HKDF for one secret and builds its AEAD. This is the only place key
// derivation for sealing happens: once per keyring, never per record.
func newSecretKey(secret string) (*secretKey, error) {
	prk := hkdf.Extract(sha256.New, []byte(secret), []byte(hkdfSalt))

	sealingKey := expand(prk, infoSealingKey, 32)
	defer clear(sealingKey) // the cipher keeps its own key schedule
	block, err := aes.NewCipher(sealingKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
	if err != nil {
		return nil, err
	}

	id := hex.EncodeToString(expand(prk, infoKeyID, keyIDBytes))
	return &secretKey{id: id, header: version + "." + id + ".", prk: prk, aead: aead}, nil
}

// derive returns the purpose-bound key of this secret.
func (s *secretKey) derive(purpose string) DerivedKey {
	return DerivedKey{ID: s.id, Key: expand(s.prk, infoPurposePrefix+purpose, DerivedKeyLength)}
}

// expand reads n bytes of HKDF-Expand output. HKDF-SHA256 can produce 8160 bytes per info,
// so for the lengths used here a failure is a programming error.
func expand(prk []byte, info string, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.Expand(sha256.New, prk, []byte(info)), out); err != nil {
		panic("envelope: HKDF expand: " + err.Error())
	}
	return out
}

// DerivedKey is a purpose-bound key of one platform secret, with that secret's key id (for
// example the "kid" of a signed token, so a verifier knows which secret signed it).
type DerivedKey struct {
	ID  string
	Key []byte
}

// String keeps the key out of logs and error messages that format a DerivedKey.
func (d DerivedKey) String() string { return "envelope.DerivedKey{ID: " + d.ID + ", Key: [redacted]}" }

// GoString does the same for %#v.
func (d DerivedKey) GoString() string { return d.String() }
