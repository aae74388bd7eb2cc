package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyed describes one kind of record the Store keeps under a string key: users, plans,
// tenants and sub-keys. They share one contract (Create refuses a taken key; Get, Update and
// Delete of a missing key are ENOTFOUND; Update is atomic, may not change the key and writes
// nothing when fn fails; records handed in and out are copies), so the cases that check it
// are written once here and each kind lists them next to its own cases.
type keyed[T any] struct {
	name     string    // the record in the Store's method names: "SubKey"
	keyField string    // the key's field: "Hash"
	keys     [2]string // two keys, in the order the store lists them
	fresh    func(key string) *T
	// scribble changes fields other than the key, nested ones included: what a caller may do
	// to a record it handed in or got back, or in an update the store refuses.
	scribble  func(*T)
	setKey    func(*T, string)
	updatedAt func(*T) *time.Time
	counter   func(*T) *int64 // a number the concurrent update case increments (nil: none)
	// findScribbled looks a record up by the unique value other than its key that scribble
	// sets (a user's email, a plan's Stripe price); nil for kinds without one. After a
	// refused write it finds nothing.
	findScribbled func(launchpad.Store, context.Context) (*T, error)

	create func(launchpad.Store, context.Context, *T) error
	get    func(launchpad.Store, context.Context, string) (*T, error)
	update func(launchpad.Store, context.Context, string, func(*T) error) (*T, error)
	remove func(launchpad.Store, context.Context, string) error // nil for users, never deleted
	list   func(launchpad.Store, context.Context) ([]*T, error) // every record, in key order
}

// stored creates the fixture for key, failing t when the store refuses it.
func (k keyed[T]) stored(t *testing.T, s launchpad.Store, key string) {
	t.Helper()
	wantOK(t, k.create(s, t.Context(), k.fresh(key)), "Create"+k.name+" "+key)
}

// wantStored fails t unless the record under key is the fixture for it, and nothing of a
// scribbled record was stored after a refused write.
func (k keyed[T]) wantStored(t *testing.T, s launchpad.Store, key, after string) {
	t.Helper()
	got, err := k.get(s, t.Context(), key)
	wantOK(t, err, "Get"+k.name+" "+key)
	wantEqual(t, k.name+" after "+after, got, k.fresh(key))
	if k.findScribbled != nil {
		_, err := k.findScribbled(s, t.Context())
		wantCode(t, err, launchpad.ENOTFOUND, "the unique value scribbled by "+after)
	}
}

// wantMissing fails t unless nothing is stored under key.
func (k keyed[T]) wantMissing(t *testing.T, s launchpad.Store, key, what string) {
	t.Helper()
	_, err := k.get(s, t.Context(), key)
	wantCode(t, err, launchpad.ENOTFOUND, what)
}

// notFound: Get, Update and Delete of a missing key are ENOTFOUND, Update without calling fn
// or creating the record; an empty store lists nothing.
func (k keyed[T]) notFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	k.wantMissing(t, s, "missing", "Get"+k.name+" of a missing "+k.keyField)
	called := false
	_, err := k.update(s, ctx, "missing", func(*T) error { called = true; return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "Update"+k.name+" of a missing "+k.keyField)
	if called {
		t.Fatalf("Update%s called fn for a missing record", k.name)
	}
	k.wantMissing(t, s, "missing", "the "+k.keyField+" Update"+k.name+" was given")
	wantCode(t, k.remove(s, ctx, "missing"), launchpad.ENOTFOUND, "Delete"+k.name+" of a missing "+k.keyField)
	list, err := k.list(s, ctx)
	wantOK(t, err, "List on an empty store")
	if len(list) != 0 {
		t.Fatalf("listing %ss on an empty store returned %d", k.name, len(list))
	}
}

// conflict: Create with a taken key (and scribbled other fields) is ECONFLICT and leaves the
// stored record as it was.
func (k keyed[T]) conflict(t *testing.T, s launchpad.Store) {
	key := k.keys[0]
	k.stored(t, s, key)
	dup := k.fresh(key)
	k.scribble(dup)
	wantCode(t, k.create(s, t.Context(), dup), launchpad.ECONFLICT, "Create"+k.name+" with a taken "+k.keyField)
	k.wantStored(t, s, key, "a refused duplicate")
}

// updated: Update applies change, stamps UpdatedAt (in UTC) and returns the record as it is
// stored, which is also what Get returns; updated returns that record.
func (k keyed[T]) updated(t *testing.T, s launchpad.Store, change func(*T)) *T {
	ctx := t.Context()
	key := k.keys[0]
	k.stored(t, s, key)
	got, err := k.update(s, ctx, key, func(r *T) error { change(r); return nil })
	wantOK(t, err, "Update"+k.name)
	want := k.fresh(key)
	change(want)
	stamped := *k.updatedAt(got)
	if stamped.IsZero() || stamped.Equal(*k.updatedAt(want)) {
		t.Fatalf("Update%s did not set UpdatedAt (still %s)", k.name, stamped)
	}
	wantUTC(t, "UpdatedAt", stamped)
	*k.updatedAt(want) = stamped
	wantEqual(t, "Update"+k.name+" result", got, want)
	got, err = k.get(s, ctx, key)
	wantOK(t, err, "Get"+k.name)
	wantEqual(t, "Get"+k.name+" after Update"+k.name, got, want)
	return want
}

// fnError: an Update whose fn fails returns fn's error and writes nothing of what fn changed.
func (k keyed[T]) fnError(t *testing.T, s launchpad.Store) {
	k.stored(t, s, k.keys[0])
	k.refusedFn(t, s)
}

// keyChange: an Update whose fn changes the key is EINVALID and writes nothing.
func (k keyed[T]) keyChange(t *testing.T, s launchpad.Store) {
	k.stored(t, s, k.keys[0])
	k.refusedKey(t, s)
}

// updateRules is fnError and keyChange in one case.
func (k keyed[T]) updateRules(t *testing.T, s launchpad.Store) {
	k.stored(t, s, k.keys[0])
	k.refusedFn(t, s)
	k.refusedKey(t, s)
}

func (k keyed[T]) refusedFn(t *testing.T, s launchpad.Store) {
	t.Helper()
	key := k.keys[0]
	sentinel := errors.New("caller says no")
	_, err := k.update(s, t.Context(), key, func(r *T) error { k.scribble(r); return sentinel })
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update%s returned %v, want fn's error", k.name, err)
	}
	k.wantStored(t, s, key, "a failed update")
}

func (k keyed[T]) refusedKey(t *testing.T, s launchpad.Store) {
	t.Helper()
	key, other := k.keys[0], k.keys[1]
	_, err := k.update(s, t.Context(), key, func(r *T) error {
		k.scribble(r)
		k.setKey(r, other)
		return nil
	})
	wantCode(t, err, launchpad.EINVALID, "Update"+k.name+" changing "+k.keyField)
	k.wantStored(t, s, key, "a refused "+k.keyField+" change")
	k.wantMissing(t, s, other, "the "+k.keyField+" an update tried to move to")
}

// updateConcurrent: concurrent updates of one record lose none of each other's writes, and
// each returns the record as its own update left it.
func (k keyed[T]) updateConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	key := k.keys[0]
	r := k.fresh(key)
	*k.counter(r) = 0
	wantOK(t, k.create(s, ctx, r), "Create"+k.name)
	seen := make([]int64, concurrency)
	Race(concurrency, func(i int) {
		got, err := k.update(s, ctx, key, func(r *T) error { *k.counter(r)++; return nil })
		if err != nil {
			t.Errorf("Update%s #%d: %v", k.name, i, err)
			return
		}
		seen[i] = *k.counter(got)
	})
	got, err := k.get(s, ctx, key)
	wantOK(t, err, "Get"+k.name)
	if n := *k.counter(got); n != concurrency {
		t.Fatalf("counter is %d after %d concurrent increments (an update was lost)", n, concurrency)
	}
	slices.Sort(seen)
	for i, v := range seen {
		if v != int64(i+1) {
			t.Fatalf("the updates returned counters %v, want each of 1..%d once", seen, concurrency)
		}
	}
}

// deleted: Delete removes one record (a second Delete is ENOTFOUND) and frees its key.
func (k keyed[T]) deleted(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	gone, kept := k.keys[0], k.keys[1]
	k.stored(t, s, gone)
	k.stored(t, s, kept)
	wantOK(t, k.remove(s, ctx, gone), "Delete"+k.name)
	k.wantMissing(t, s, gone, "Get"+k.name+" after Delete"+k.name)
	wantCode(t, k.remove(s, ctx, gone), launchpad.ENOTFOUND, "Delete"+k.name+" twice")
	list, err := k.list(s, ctx)
	wantOK(t, err, "List after Delete"+k.name)
	wantEqual(t, k.name+"s left", list, []*T{k.fresh(kept)})
	wantOK(t, k.create(s, ctx, k.fresh(gone)), "Create"+k.name+" with the freed "+k.keyField)
}

// copies: the store keeps neither the record Create was given nor the one Get returned.
func (k keyed[T]) copies(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	key := k.keys[0]
	in := k.fresh(key)
	wantOK(t, k.create(s, ctx, in), "Create"+k.name)
	k.scribble(in)
	got, err := k.get(s, ctx, key)
	wantOK(t, err, "Get"+k.name)
	wantEqual(t, k.name+" after mutating Create"+k.name+"'s argument", got, k.fresh(key))
	k.scribble(got)
	list, err := k.list(s, ctx)
	wantOK(t, err, "List"+k.name+"s")
	wantEqual(t, k.name+" after mutating Get"+k.name+"'s result", list, []*T{k.fresh(key)})
}
