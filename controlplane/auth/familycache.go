package auth

import (
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// FamilyCacheTTL is how long a replica trusts what it last read of a session family (its
// current session: revoked or not, its AuthTime). A revocation on any replica — logout,
// refresh-token reuse, sign-out-everywhere, two-factor turned on — is therefore refused by
// every other replica within this time plus one store read; the replica that revokes forgets
// its own entries at once.
const FamilyCacheTTL = 500 * time.Millisecond

// familyCacheMax bounds the entries kept; past it, expired entries are dropped, and if that
// is not enough, all of them (the next request of each family reads the store again).
const familyCacheMax = 100_000

// familyCache keeps, per session family, the current session as the store last showed it,
// for FamilyCacheTTL of wall time (the injected clock, which tests stop and move, decides
// expiry of tokens and sessions, not the freshness of this cache). It is safe for concurrent
// use.
type familyCache struct {
	ttl  time.Duration
	wall func() time.Time

	mu      sync.Mutex
	entries map[string]familyEntry
}

type familyEntry struct {
	sess    *launchpad.Session // nil: the store knows no session of the family
	fetched time.Time
}

func newFamilyCache(ttl time.Duration) *familyCache {
	return &familyCache{ttl: ttl, wall: time.Now, entries: make(map[string]familyEntry)}
}

// get returns the family's current session if an entry younger than the TTL holds it; ok
// reports whether there was such an entry (sess is nil for a family the store did not know).
func (c *familyCache) get(family string) (sess *launchpad.Session, ok bool) {
	now := c.wall()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[family]
	if !found || now.Sub(e.fetched) >= c.ttl {
		return nil, false
	}
	return e.sess, true
}

// put records what the store answered for family, read at fetched (wall time, taken before
// the read, so an entry never outlives its TTL counted from the read).
func (c *familyCache) put(family string, sess *launchpad.Session, fetched time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= familyCacheMax {
		now := c.wall()
		for k, e := range c.entries {
			if now.Sub(e.fetched) >= c.ttl {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= familyCacheMax {
			clear(c.entries)
		}
	}
	c.entries[family] = familyEntry{sess: sess, fetched: fetched}
}

// forget drops what is known of the families.
func (c *familyCache) forget(families ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range families {
		delete(c.entries, f)
	}
}

// forgetUser drops every entry of the user's families.
func (c *familyCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.sess != nil && e.sess.UserID == userID {
			delete(c.entries, k)
		}
	}
}
