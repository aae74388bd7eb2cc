package envelope

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
)

// Keyring seals under the current platform secret and opens values sealed under the current
// or the previous one. Build it once at start-up with NewKeyring; it is safe for concurrent
// use.
type Keyring struct {
	current  *secretKey
	previous *secretKey // nil when no previous secret is configured
	nonces   io.Reader  // crypto/rand.Reader; only tests replace it

	// scratch holds Seal's binary nonce ‖ ciphertext ‖ tag between calls (*[]byte). The
	// sealed value is its base64 text, so the binary form is garbage once encoded; at a few
	// KiB, allocating and collecting it anew for every record costs more than the AES-GCM.
	// It holds ciphertext only, never plaintext.
	scratch sync.Pool

	users userCache // the user keys (format v2) built most recently
}

// maxScratch is the largest buffer Seal keeps for the next call; a rare large value is not
// worth holding on to.
const maxScratch = 64 << 10

// NewKeyring derives the current key from secret and, if previous is non-empty, the previous
// key (PLATFORM_SECRET_PREVIOUS) so values sealed under it still open. Secrets shorter than 32
// bytes are refused with an error that says so (and never echoes the secret).
func NewKeyring(secret, previous string) (*Keyring, error) {
	return newKeyring(secret, previous, rand.Reader)
}

func newKeyring(secret, previous string, nonces io.Reader) (*Keyring, error) {
	if len(secret) < MinSecretLength {
		return nil, fail(ErrSecretTooShort, "PLATFORM_SECRET is shorter than %d bytes; set it to at least %d random bytes, for example the output of `openssl rand -base64 48`", MinSecretLength, MinSecretLength)
	}
	if previous != "" && len(previous) < MinSecretLength {
		return nil, fail(ErrSecretTooShort, "PLATFORM_SECRET_PREVIOUS is shorter than %d bytes, so it cannot be a secret values were sealed under; set it to the exact previous PLATFORM_SECRET, or unset it", MinSecretLength)
	}
	current, err := newSecretKey(secret)
	if err != nil {
		return nil, err
	}
	k := &Keyring{current: current, nonces: nonces}
	if previous == "" {
		return k, nil
	}
	if previous == secret {
		return nil, fail(ErrSameKeyID, "PLATFORM_SECRET_PREVIOUS equals PLATFORM_SECRET: to rotate, set PLATFORM_SECRET to a new secret and PLATFORM_SECRET_PREVIOUS to the old one; otherwise unset PLATFORM_SECRET_PREVIOUS")
	}
	if k.previous, err = newSecretKey(previous); err != nil {
		return nil, err
	}
	if k.previous.id == k.current.id {
		return nil, fail(ErrSameKeyID, "PLATFORM_SECRET and PLATFORM_SECRET_PREVIOUS are different but share key id %s (a 1 in 2^48 chance); generate another PLATFORM_SECRET", k.current.id)
	}
	return k, nil
}

// CurrentKeyID is the key id Seal uses.
func (k *Keyring) CurrentKeyID() string { return k.mustCurrent().id }

// PreviousKeyID is the key id of the previous secret (PLATFORM_SECRET_PREVIOUS), or "" when
// none is configured.
func (k *Keyring) PreviousKeyID() string {
	if k.mustCurrent(); k.previous == nil {
		return ""
	}
	return k.previous.id
}

// Seal encrypts plaintext for the user userID under the current key, in format v1: the
// platform secret's key alone, which no account deletion can shred. The product seals with
// Sealer.Seal (format v2); Seal remains for values of stores written before v2, and for
// comparison. The result is printable ASCII, safe for SQLite TEXT and Firestore string fields.
func (k *Keyring) Seal(plaintext []byte, userID string) (string, error) {
	key := k.mustCurrent()
	if userID == "" {
		return "", fail(ErrMissingUserID, "cannot seal without the owner's user id: it is the additional data that keeps the value from opening for another user")
	}
	return k.seal(key.aead, key.header, plaintext, userID)
}

// SealWith encrypts plaintext for userID in format v2: under a key derived from the current
// platform secret and material, the user's key material (launchpad.UserKeyStore). The value
// opens only while both exist. Sealer.Seal reads or creates the material and calls it.
func (k *Keyring) SealWith(plaintext []byte, userID string, material []byte) (string, error) {
	key := k.mustCurrent()
	if userID == "" {
		return "", fail(ErrMissingUserID, "cannot seal without the owner's user id: it is the additional data that keeps the value from opening for another user")
	}
	aead, err := k.users.aead(key, material, userID)
	if err != nil {
		return "", err
	}
	return k.seal(aead, key.headerUser, plaintext, userID)
}

// seal is nonce ‖ AES-GCM(plaintext, header ‖ userID) after header, base64url-encoded.
func (k *Keyring) seal(aead cipher.AEAD, header string, plaintext []byte, userID string) (string, error) {
	buf, _ := k.scratch.Get().(*[]byte)
	if buf == nil || cap(*buf) < nonceSize+len(plaintext)+tagSize {
		b := make([]byte, 0, nonceSize+len(plaintext)+tagSize)
		buf = &b
	}
	raw := (*buf)[:nonceSize]
	if _, err := io.ReadFull(k.nonces, raw); err != nil {
		return "", fmt.Errorf("envelope: reading a random nonce: %w", err)
	}
	raw = aead.Seal(raw, raw[:nonceSize], plaintext, additionalData(header, userID))
	sealed := encode(header, raw)
	if cap(raw) <= maxScratch {
		*buf = raw
		k.scratch.Put(buf)
	}
	return sealed, nil
}

// Open decrypts a v1 value sealed for userID under the current or the previous key. A v2
// value needs the user's key material (ErrNeedsUserKey): open it with Sealer.Open.
func (k *Keyring) Open(sealed, userID string) ([]byte, error) {
	plaintext, _, err := k.open(sealed, userID, nil)
	return plaintext, err
}

// OpenWith decrypts a value sealed for userID under the current or the previous key: a v1
// value under the platform secret's key alone (material is not used), a v2 value under the
// platform secret's key and material, the user's key material.
func (k *Keyring) OpenWith(sealed, userID string, material []byte) ([]byte, error) {
	plaintext, _, err := k.open(sealed, userID, material)
	return plaintext, err
}

func (k *Keyring) open(sealed, userID string, material []byte) ([]byte, *secretKey, error) {
	k.mustCurrent()
	if userID == "" {
		return nil, nil, fail(ErrMissingUserID, "cannot open a sealed value without its owner's user id")
	}
	ver, id, payload, err := parse(sealed)
	if err != nil {
		return nil, nil, err
	}
	raw, err := decodePayload(payload)
	if err != nil {
		return nil, nil, err
	}
	key := k.lookup(id)
	if key == nil {
		return nil, nil, fail(ErrUnknownKeyID, "the value was sealed under key id %s, which is neither the current key (%s) nor a configured previous one (%s); set PLATFORM_SECRET_PREVIOUS to the secret it was sealed under", id, k.current.id, k.previousID())
	}
	aead, header := key.aead, key.header
	if ver == versionUser {
		if material == nil {
			return nil, nil, fail(ErrNeedsUserKey, "the value is sealed in format %s, under the user's key material as well as the platform secret; open it through a Sealer, which reads the material from the store", versionUser)
		}
		if aead, err = k.users.aead(key, material, userID); err != nil {
			return nil, nil, err
		}
		header = key.headerUser
	}
	nonce, ciphertext := raw[:nonceSize], raw[nonceSize:]
	plaintext, err := aead.Open(ciphertext[:0], nonce, ciphertext, additionalData(header, userID))
	if err != nil {
		return nil, nil, fail(ErrDecrypt, "the value sealed under key id %s does not open for this user: it was altered, copied from another user's record, or its header was edited", id)
	}
	return plaintext, key, nil
}

// NeedsReseal reports whether sealed is not under the current key id (including when it is not
// a sealed value at all; Reseal then reports why).
func (k *Keyring) NeedsReseal(sealed string) bool {
	id, err := KeyID(sealed)
	return err != nil || id != k.mustCurrent().id
}

// Reseal opens a v1 value (under the current or previous key) and seals it again in v1 under
// the current key. A value already under the current key is returned unchanged, after it has
// been opened, so a rotation run also finds values that no longer open. Resealing is
// idempotent: running a rotation twice changes nothing the second time. Sealer.Reseal is the
// form that handles v2 and moves v1 values to it.
func (k *Keyring) Reseal(sealed, userID string) (string, error) {
	return k.reseal(sealed, userID, nil)
}

// ResealWith is Reseal for a value of either format: one under the current key is returned
// unchanged (after it has been opened), any other is sealed again in v2 with material, the
// user's key material, which does not change.
func (k *Keyring) ResealWith(sealed, userID string, material []byte) (string, error) {
	return k.reseal(sealed, userID, material)
}

func (k *Keyring) reseal(sealed, userID string, material []byte) (string, error) {
	plaintext, key, err := k.open(sealed, userID, material)
	if err != nil {
		return "", err
	}
	defer clear(plaintext)
	switch {
	case key == k.current:
		return sealed, nil
	case material == nil:
		return k.Seal(plaintext, userID)
	}
	return k.SealWith(plaintext, userID, material)
}

// Derive returns purpose-bound 32-byte keys (HKDF info includes the purpose) for other uses of
// the platform secret — JWT signing ("session-signing"), sign-in code HMAC ("signin-code") —
// current first, then the previous secret's if configured, each with its key id, so those can
// rotate too. Each call runs HKDF-Expand and returns fresh slices: derive once at start-up.
func (k *Keyring) Derive(purpose string) []DerivedKey {
	cur := k.mustCurrent()
	if purpose == "" {
		panic("envelope: Derive needs a purpose, such as \"session-signing\"")
	}
	keys := []DerivedKey{cur.derive(purpose)}
	if k.previous != nil {
		keys = append(keys, k.previous.derive(purpose))
	}
	return keys
}

// Forget drops the user keys of userID this keyring built from memory. An account deletion
// calls it when it deletes the user's key material.
func (k *Keyring) Forget(userID string) { k.users.forget(userID) }

// String shows the key ids only, so a keyring that reaches a log line leaks no key.
func (k *Keyring) String() string {
	if k == nil || k.current == nil {
		return "envelope.Keyring{}"
	}
	return "envelope.Keyring{current: " + k.current.id + ", previous: " + k.previousID() + "}"
}

// GoString does the same for %#v.
func (k *Keyring) GoString() string { return k.String() }

func (k *Keyring) lookup(id string) *secretKey {
	switch {
	case id == k.current.id:
		return k.current
	case k.previous != nil && id == k.previous.id:
		return k.previous
	}
	return nil
}

func (k *Keyring) previousID() string {
	if k.previous == nil {
		return "none"
	}
	return k.previous.id
}

// mustCurrent fails loudly on a Keyring that did not come from NewKeyring.
func (k *Keyring) mustCurrent() *secretKey {
	if k == nil || k.current == nil {
		panic("envelope: Keyring used without NewKeyring")
	}
	return k.current
}
