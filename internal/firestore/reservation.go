package firestore

import (
	"context"

	"cloud.google.com/go/firestore"
)

// reservation is a unique value of a record other than its key: a plan's Stripe price, a
// user's email. Firestore has no unique index, so a document named by the value reserves it
// for one record, and every commit that sets, changes or clears the value creates or deletes
// that document together with the record; a value already reserved refuses the write.
type reservation struct {
	ref   func(s *Store, value string) *firestore.DocumentRef
	doc   func(value, key string) any // the document reserving value for the record with key
	taken func(value string) error    // ECONFLICT naming the value
}

// create stores doc, the record with key, at ref and reserves value for it ("" reserves
// nothing) in one commit. ECONFLICT if the key or the value is taken. Both are read in one
// round trip.
func (rv reservation) create(ctx context.Context, s *Store, what, key, value string, ref *firestore.DocumentRef, doc any) error {
	return s.atomically(ctx, "create "+what, func(b *batch) error {
		refs := []*firestore.DocumentRef{ref}
		if value != "" {
			refs = append(refs, rv.ref(s, value))
		}
		snaps, err := s.getAll(ctx, refs...)
		if err != nil {
			return err
		}
		if snaps[0].Exists() {
			return taken(what, key)
		}
		if value != "" {
			if snaps[1].Exists() {
				return rv.taken(value)
			}
			b.create(snaps[1].Ref, rv.doc(value, key))
		}
		b.create(snaps[0].Ref, doc)
		return nil
	})
}

// move moves the reservation of the record with key from old to next within b (either may
// be ""): ECONFLICT if next is reserved already.
func (rv reservation) move(ctx context.Context, s *Store, b *batch, key, old, next string) error {
	if next == old {
		return nil
	}
	if next != "" {
		guard, err := s.get(ctx, rv.ref(s, next))
		if err != nil {
			return err
		}
		if guard.Exists() {
			return rv.taken(next)
		}
		b.create(guard.Ref, rv.doc(next, key))
	}
	if old != "" {
		b.delete(rv.ref(s, old))
	}
	return nil
}
