package subkey

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Reading keys through one listing.
const (
	// keyListingTTL is how long one listing answers reads. A plan refreshes every sub-key
	// within seconds of the first; a longer refresh lists again.
	keyListingTTL = 30 * time.Second
	// keyListingTimeout bounds a listing that many readers wait for.
	keyListingTimeout = 2 * time.Minute
)

var _ launchpad.KeyIssuer = (*ListedKeys)(nil)

// ListedKeys is a KeyIssuer whose GetKey is answered from one listing of every key (ListKeys:
// one request per page of keys) instead of one request per key, so that refreshing a
// thousand sub-keys costs a dozen requests instead of a thousand. Every other call goes to
// the issuer unchanged.
//
// A read never sees less than GetKey would show: a key that is not in the listing — deleted,
// or minted after the listing was taken, or outside the listed workspace — is looked up
// directly, so only OpenRouter's answer for that key can remove it from state; a failed
// listing falls back to GetKey; and every write through this issuer (create, update, delete)
// drops the listing, so the process that holds it never reads back a listing older than its
// own write. What a listing can miss is a change made elsewhere in the few seconds since it was
// taken — the same as a GetKey a few seconds earlier.
type ListedKeys struct {
	launchpad.KeyIssuer
	ttl time.Duration
	now func() time.Time
	log *slog.Logger

	group singleflight.Group // concurrent readers share one listing

	mu       sync.Mutex
	keys     map[string]*launchpad.KeyInfo // nil: no current listing
	listedAt time.Time
	epoch    uint64 // bumped by every write; a listing begun in an older epoch is not kept
}

// NewListedKeys wraps issuer; now is the clock of the listing's age, log where a failed
// listing is reported.
func NewListedKeys(issuer launchpad.KeyIssuer, now func() time.Time, log *slog.Logger) *ListedKeys {
	return &ListedKeys{KeyIssuer: issuer, ttl: keyListingTTL, now: now, log: log}
}

// GetKey answers from the current listing, taking one if there is none.
func (l *ListedKeys) GetKey(ctx context.Context, hash string) (*launchpad.KeyInfo, error) {
	keys, err := l.listing(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.log.WarnContext(ctx, "openrouter: listing keys failed; reading the key by itself", "hash", hash, "error", launchpad.ErrorMessage(err))
		return l.KeyIssuer.GetKey(ctx, hash)
	}
	if k, ok := keys[hash]; ok {
		c := *k // callers may change what they get
		return &c, nil
	}
	return l.KeyIssuer.GetKey(ctx, hash)
}

// current returns the listing if it is young enough, else nil.
func (l *ListedKeys) current() map[string]*launchpad.KeyInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys != nil && l.now().Sub(l.listedAt) < l.ttl {
		return l.keys
	}
	return nil
}

func (l *ListedKeys) listing(ctx context.Context) (map[string]*launchpad.KeyInfo, error) {
	if keys := l.current(); keys != nil {
		return keys, nil
	}
	l.mu.Lock()
	epoch := l.epoch
	l.mu.Unlock()

	ch := l.group.DoChan(strconv.FormatUint(epoch, 10), func() (any, error) {
		if keys := l.current(); keys != nil {
			return keys, nil // taken by a flight that ended after this reader looked
		}
		// Shared by every reader waiting for it: not cancelled with the first one's request.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyListingTimeout)
		defer cancel()
		started := l.now()
		list, err := l.ListKeys(lctx)
		if err != nil {
			return nil, err
		}
		keys := make(map[string]*launchpad.KeyInfo, len(list))
		for _, k := range list {
			keys[k.Hash] = k
		}
		l.mu.Lock()
		if l.epoch == epoch {
			l.keys, l.listedAt = keys, started
		}
		l.mu.Unlock()
		return keys, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(map[string]*launchpad.KeyInfo), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drop forgets the listing after a write.
func (l *ListedKeys) drop() {
	l.mu.Lock()
	l.epoch++
	l.keys = nil
	l.mu.Unlock()
}

func (l *ListedKeys) CreateKey(ctx context.Context, s launchpad.KeySpec) (*launchpad.IssuedKey, error) {
	defer l.drop()
	return l.KeyIssuer.CreateKey(ctx, s)
}

func (l *ListedKeys) UpdateKey(ctx context.Context, hash string, u launchpad.KeyUpdate) (*launchpad.KeyInfo, error) {
	defer l.drop()
	return l.KeyIssuer.UpdateKey(ctx, hash, u)
}

func (l *ListedKeys) DeleteKey(ctx context.Context, hash string) error {
	defer l.drop()
	return l.KeyIssuer.DeleteKey(ctx, hash)
}
