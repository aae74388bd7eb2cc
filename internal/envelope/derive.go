package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"golang.org/x/crypto/hkdf"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// HKDF labels. Each use of a secret has its own info string, and the prefixes differ, so no
// purpose passed to Derive can produce the sealing key or the key id.
const (
	hkdfSalt          = "launchpad/platform-secret/v1"
	infoSealingKey    = "launchpad/envelope/v1/aes-256-gcm"
	infoKeyID         = "launchpad/envelope/v1/key-id"
	infoPurposePrefix = "launchpad/derive/v1/"
	infoUserSalt      = "launchpad/envelope/v2/user-salt"
	infoUserKey       = "launchpad/envelope/v2/aes-256-gcm/"
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
	id         string
	header     string // "v1.<id>.", the start of every v1 value sealed under this key
	headerUser string // "v2.<id>.", the start of every v2 value
	prk        []byte
	aead       cipher.AEAD
	// userSalt is the HKDF salt of every user key (format v2): the platform secret's half of
	// it, which the user's key material, the other half, is extracted with.
	userSalt []byte
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
	return &secretKey{
		id: id, header: version + "." + id + ".", headerUser: versionUser + "." + id + ".",
		prk: prk, aead: aead, userSalt: expand(prk, infoUserSalt, sha256.Size),
	}, nil
}

// userAEAD builds the AEAD of userID's v2 values under this secret: HKDF-Extract of the
// user's key material with the secret's user salt, then HKDF-Expand with the user id in the
// info. Neither the secret nor the material alone determines the key, and material copied to
// another user's record derives another key.
func (s *secretKey) userAEAD(material []byte, userID string) (cipher.AEAD, error) {
	if len(material) != launchpad.UserKeyLength {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "the stored key material of a user is %d bytes, not %d: the store is damaged", len(material), launchpad.UserKeyLength)
	}
	key := expand(hkdf.Extract(sha256.New, material, s.userSalt), infoUserKey+userID, 32)
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
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
