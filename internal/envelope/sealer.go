package envelope

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Sealer seals a user's credentials in format v2, under a key of the platform secret and the
// user's key material, which it reads from the store and creates on the user's first seal.
// Deleting the material (launchpad.UserKeyStore.DeleteUserKey, a step of every account
// deletion) crypto-shreds every value sealed for the user: copies of them kept anywhere no
// longer open, even with PLATFORM_SECRET. It opens v1 values too, which need no material, so
// credentials sealed before v2 keep working until they are re-sealed. A Sealer is safe for
// concurrent use.
type Sealer struct {
	keyring *Keyring
	keys    launchpad.UserKeyStore
	random  io.Reader // crypto/rand.Reader: the source of new key material
}

// NewSealer returns a Sealer of keyring's keys and keys' user key material.
func NewSealer(keyring *Keyring, keys launchpad.UserKeyStore) *Sealer {
	keyring.mustCurrent()
	if keys == nil {
		panic("envelope: NewSealer needs the store that keeps the users' key material")
	}
	return &Sealer{keyring: keyring, keys: keys, random: rand.Reader}
}

// Keyring is the keyring the Sealer seals with.
func (s *Sealer) Keyring() *Keyring { return s.keyring }

// Seal encrypts plaintext for userID in format v2 (Keyring.SealWith), creating the user's key
// material if they have none yet. ENOTFOUND when there is no user userID: an account being
// erased gets no new material.
func (s *Sealer) Seal(ctx context.Context, plaintext []byte, userID string) (string, error) {
	if userID == "" {
		return "", fail(ErrMissingUserID, "cannot seal without the owner's user id: it is the additional data that keeps the value from opening for another user")
	}
	material, err := s.userKey(ctx, userID)
	if err != nil {
		return "", err
	}
	defer clear(material)
	return s.keyring.SealWith(plaintext, userID, material)
}

// Open decrypts a value sealed for userID: a v1 value under the platform secret alone, a v2
// value under it and the user's stored key material. ErrKeyErased when the value is v2 and the
// user's material is gone (the account was deleted).
func (s *Sealer) Open(ctx context.Context, sealed, userID string) ([]byte, error) {
	ver, err := Version(sealed)
	if err != nil {
		return nil, err
	}
	if ver == version || userID == "" {
		return s.keyring.Open(sealed, userID)
	}
	material, err := s.storedKey(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	return s.keyring.OpenWith(sealed, userID, material)
}

// NeedsReseal is Keyring.NeedsReseal: whether sealed is not under the current key id.
func (s *Sealer) NeedsReseal(sealed string) bool { return s.keyring.NeedsReseal(sealed) }

// Reseal opens sealed and, unless it is under the current key already (then it is returned
// unchanged), seals it again under the current key in v2 with the user's key material, which
// does not change (a v1 value gets material if the user has none). This is what rotate-secret
// does to every credential; it is idempotent.
func (s *Sealer) Reseal(ctx context.Context, sealed, userID string) (string, error) {
	ver, err := Version(sealed)
	if err != nil {
		return "", err
	}
	if userID == "" || (ver == version && !s.keyring.NeedsReseal(sealed)) {
		return s.keyring.Reseal(sealed, userID)
	}
	var material []byte
	if ver == version {
		material, err = s.userKey(ctx, userID)
	} else {
		material, err = s.storedKey(ctx, userID)
	}
	if err != nil {
		return "", err
	}
	defer clear(material)
	return s.keyring.ResealWith(sealed, userID, material)
}

// KeyFor returns the user's key material for re-sealing the values given with
// Keyring.ResealWith, read before a transaction that rewrites them (the store cannot be read
// inside one). When any of the values is v2, the material must exist (ErrKeyErased if not);
// otherwise it is created if the user has none.
func (s *Sealer) KeyFor(ctx context.Context, userID string, values ...string) ([]byte, error) {
	for _, v := range values {
		if ver, err := Version(v); err == nil && ver == versionUser {
			return s.storedKey(ctx, userID)
		}
	}
	return s.userKey(ctx, userID)
}

// storedKey reads the user's key material; ErrKeyErased when there is none.
func (s *Sealer) storedKey(ctx context.Context, userID string) ([]byte, error) {
	material, err := s.keys.GetUserKey(ctx, userID)
	if launchpad.IsNotFound(err) {
		return nil, fail(ErrKeyErased, "the value is sealed under the key material of user %s, and the store holds none: the user's key material was erased "+
			"when the account was deleted, so the value can no longer be opened by anyone (or it was copied from another user's record)", launchpad.Clip(userID, 60))
	}
	if err != nil {
		return nil, launchpad.Wrapf(err, "reading the key material of user %s", launchpad.Clip(userID, 60))
	}
	return material, nil
}

// userKey reads the user's key material, creating it if there is none.
func (s *Sealer) userKey(ctx context.Context, userID string) ([]byte, error) {
	material, err := s.keys.GetUserKey(ctx, userID)
	if err == nil || !launchpad.IsNotFound(err) {
		return material, err
	}
	fresh := make([]byte, launchpad.UserKeyLength) // the store may keep this slice: not cleared
	if _, err := io.ReadFull(s.random, fresh); err != nil {
		return nil, fmt.Errorf("envelope: reading random key material: %w", err)
	}
	material, err = s.keys.CreateUserKey(ctx, userID, fresh)
	if err != nil {
		return nil, launchpad.Wrapf(err, "creating the key material of user %s", launchpad.Clip(userID, 60))
	}
	return material, nil
}
