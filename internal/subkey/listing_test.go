package subkey

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// countingIssuer is an in-memory KeyIssuer that counts the calls the listing must save.
type countingIssuer struct {
	launchpad.KeyIssuer // unused methods panic
	mu                  sync.Mutex
	keys                map[string]*launchpad.KeyInfo
	gets, lists         atomic.Int64
	listErr             error
	listGate            chan struct{} // when set, ListKeys waits for it
}

func newCountingIssuer(hashes ...string) *countingIssuer {
	c := &countingIssuer{keys: map[string]*launchpad.KeyInfo{}}
	for _, h := range hashes {
		limit := 10.0
		c.keys[h] = &launchpad.KeyInfo{Hash: h, LimitUSD: &limit, LimitReset: "monthly"}
	}
	return c
}

func (c *countingIssuer) GetKey(_ context.Context, hash string) (*launchpad.KeyInfo, error) {
	c.gets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[hash]
	if !ok {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "key %s not found", hash)
	}
	cp := *k
	return &cp, nil
}

func (c *countingIssuer) ListKeys(ctx context.Context) ([]*launchpad.KeyInfo, error) {
	c.lists.Add(1)
	if c.listGate != nil {
		select {
		case <-c.listGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.listErr != nil {
		return nil, c.listErr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*launchpad.KeyInfo
	for _, k := range c.keys {
		cp := *k
		out = append(out, &cp)
	}
	return out, nil
}

func (c *countingIssuer) UpdateKey(_ context.Context, hash string, u launchpad.KeyUpdate) (*launchpad.KeyInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[hash]
	if !ok {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "key %s not found", hash)
	}
	if u.LimitUSD != nil {
		v := *u.LimitUSD
		k.LimitUSD = &v
	}
	cp := *k
	return &cp, nil
}

func (c *countingIssuer) DeleteKey(_ context.Context, hash string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, hash)
	return nil
}

// changeOutside changes a key the way someone else would: not through the listing issuer.
func (c *countingIssuer) changeOutside(hash string, limit float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[hash].LimitUSD = &limit
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestListedKeysReadsAThousandKeysWithOneListing(t *testing.T) {
	hashes := make([]string, 1000)
	for i := range hashes {
		hashes[i] = "hash" + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	inner := newCountingIssuer(hashes...)
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	l := NewListedKeys(inner, clock.Now, quietLogger())
	var wg sync.WaitGroup
	for _, h := range hashes {
		wg.Go(func() {
			k, err := l.GetKey(context.Background(), h)
			if err != nil || k.Hash != h || *k.LimitUSD != 10 {
				t.Errorf("GetKey(%s) = %+v, %v", h, k, err)
			}
		})
	}
	wg.Wait()
	if lists, gets := inner.lists.Load(), inner.gets.Load(); lists != 1 || gets != 0 {
		t.Errorf("1,000 concurrent reads made %d listings and %d single reads, want 1 and 0", lists, gets)
	}
}

func TestListedKeysNeverTakesAKeyMissingFromTheListingForDeleted(t *testing.T) {
	inner := newCountingIssuer("old")
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	l := NewListedKeys(inner, clock.Now, quietLogger())
	ctx := context.Background()
	if _, err := l.GetKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	// Minted by someone else after the listing: the listing does not have it, OpenRouter does.
	inner.mu.Lock()
	inner.keys["new"] = &launchpad.KeyInfo{Hash: "new"}
	inner.mu.Unlock()
	if k, err := l.GetKey(ctx, "new"); err != nil || k.Hash != "new" {
		t.Errorf("a key minted after the listing: %+v, %v; want it found by its own read", k, err)
	}
	// Deleted: only OpenRouter's own not-found says so.
	if _, err := l.GetKey(ctx, "gone"); !launchpad.IsNotFound(err) {
		t.Errorf("a key that does not exist: err = %v, want ENOTFOUND", err)
	}
	if gets := inner.gets.Load(); gets != 2 {
		t.Errorf("%d single reads, want 2 (one per key missing from the listing)", gets)
	}
}

func TestListedKeysWritesAndAgeDropTheListing(t *testing.T) {
	inner := newCountingIssuer("a", "b")
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	l := NewListedKeys(inner, clock.Now, quietLogger())
	ctx := context.Background()
	if _, err := l.GetKey(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	// A write through the listing: the next read sees it.
	limit := 50.0
	if _, err := l.UpdateKey(ctx, "a", launchpad.KeyUpdate{LimitUSD: &limit}); err != nil {
		t.Fatal(err)
	}
	if k, _ := l.GetKey(ctx, "a"); *k.LimitUSD != 50 {
		t.Errorf("after our own update the read shows limit %v, want 50", *k.LimitUSD)
	}
	if err := l.DeleteKey(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.GetKey(ctx, "b"); !launchpad.IsNotFound(err) {
		t.Errorf("after our own delete: err = %v, want ENOTFOUND", err)
	}
	// A change made elsewhere shows once the listing is older than its TTL.
	inner.changeOutside("a", 70)
	if k, _ := l.GetKey(ctx, "a"); *k.LimitUSD != 50 {
		t.Errorf("within the TTL the listing answers: limit %v, want 50", *k.LimitUSD)
	}
	clock.Advance(keyListingTTL)
	if k, _ := l.GetKey(ctx, "a"); *k.LimitUSD != 70 {
		t.Errorf("after the TTL: limit %v, want 70 (the change made elsewhere)", *k.LimitUSD)
	}
	if lists := inner.lists.Load(); lists != 4 {
		t.Errorf("%d listings, want 4 (first, after the update, after the delete, after the TTL)", lists)
	}
}

func TestListedKeysDropsAListingTakenDuringAWrite(t *testing.T) {
	inner := newCountingIssuer("a")
	inner.listGate = make(chan struct{})
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	l := NewListedKeys(inner, clock.Now, quietLogger())
	ctx := context.Background()
	read := make(chan *launchpad.KeyInfo)
	go func() {
		k, _ := l.GetKey(ctx, "a") // takes a listing that waits at the gate
		read <- k
	}()
	for inner.lists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	limit := 99.0
	if _, err := l.UpdateKey(ctx, "a", launchpad.KeyUpdate{LimitUSD: &limit}); err != nil {
		t.Fatal(err)
	}
	close(inner.listGate) // the old listing finishes after the write
	<-read
	if k, _ := l.GetKey(ctx, "a"); *k.LimitUSD != 99 {
		t.Errorf("a read after our write shows limit %v from a listing begun before it, want 99", *k.LimitUSD)
	}
}

func TestListedKeysFallsBackWhenTheListingFails(t *testing.T) {
	inner := newCountingIssuer("a")
	inner.listErr = errors.New("429 after every retry")
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	l := NewListedKeys(inner, clock.Now, quietLogger())
	if k, err := l.GetKey(context.Background(), "a"); err != nil || k.Hash != "a" {
		t.Errorf("with the listing failing: %+v, %v; want the key read by itself", k, err)
	}
}

func TestListedKeysHonoursTheReadersContext(t *testing.T) {
	inner := newCountingIssuer("a")
	inner.listGate = make(chan struct{})
	defer close(inner.listGate)
	l := NewListedKeys(inner, time.Now, quietLogger())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.GetKey(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a reader whose context ends while the listing runs: err = %v, want its deadline", err)
	}
}
