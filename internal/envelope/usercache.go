package envelope

import (
	"bytes"
	"crypto/cipher"
	"sync"
)

// maxCachedUsers bounds the user keys a Keyring keeps built. Deriving one (HKDF and the AES
// key schedule) costs several times the sealing of a short credential, and the same few users'
// credentials are opened again and again (every sign-in with TOTP, every key delivery).
const maxCachedUsers = 1024

// userCache keeps the AEADs of recently used user keys, each with the key material it was
// derived from. A lookup must present the same material, which only the store gives out, so
// once an account deletion has deleted the material its cached key is unreachable; Forget drops
// it from memory too.
type userCache struct {
	mu      sync.Mutex
	entries map[userCacheKey]userCacheEntry
}

type userCacheKey struct {
	keyID, userID string
}

type userCacheEntry struct {
	material []byte
	aead     cipher.AEAD
}

// aead returns the cached AEAD of userID under the secret key, building it with build when it
// is missing or was derived from other material.
func (c *userCache) aead(s *secretKey, material []byte, userID string) (cipher.AEAD, error) {
	k := userCacheKey{s.id, userID}
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && bytes.Equal(e.material, material) {
		return e.aead, nil
	}
	aead, err := s.userAEAD(material, userID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedUsers {
		c.entries = make(map[userCacheKey]userCacheEntry) // a whole new set is cheaper than tracking age
	}
	c.entries[k] = userCacheEntry{material: bytes.Clone(material), aead: aead}
	return aead, nil
}

// forget drops every cached key of userID.
func (c *userCache) forget(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if k.userID == userID {
			clear(e.material)
			delete(c.entries, k)
		}
	}
}
