package firestore

import (
	"context"
	"slices"
	"time"

	"cloud.google.com/go/firestore"
)

// recordKind is how one kind of keyed record (tenant, sub-key, Stripe event…) maps to its
// documents, for the helpers below that create, get, update, delete and list records alike.
// R is the domain type, D its document type.
type recordKind[R, D any] struct {
	what    string // in errors: "tenant"
	keyName string // in errors: "AppName"
	col     func(*Store) string
	key     func(*R) string
	encode  func(*R) *D
	decode  func(*D) *R
	// times returns where the record keeps its CreatedAt and UpdatedAt, which the store
	// stamps; nil when it has none.
	times func(*R) (created, updated *time.Time)
}

func (k recordKind[R, D]) ref(s *Store, key string) *firestore.DocumentRef {
	return s.doc(k.col(s), key)
}

// fromSnap decodes a document of this kind.
func (k recordKind[R, D]) fromSnap(snap *firestore.DocumentSnapshot) (*R, error) {
	var d D
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode "+k.what+" "+snap.Ref.ID)
	}
	return k.decode(&d), nil
}

// load reads the stored record with key within a commit: its snapshot, for the write that
// follows, and the record. ENOTFOUND when there is none.
func (k recordKind[R, D]) load(ctx context.Context, s *Store, key string) (*firestore.DocumentSnapshot, *R, error) {
	snap, err := s.get(ctx, k.ref(s, key))
	if err != nil {
		return nil, nil, err
	}
	if !snap.Exists() {
		return nil, nil, notFound(k.what, key)
	}
	r, err := k.fromSnap(snap)
	if err != nil {
		return nil, nil, err
	}
	return snap, r, nil
}

// stamped returns a copy of r, as Create stores it: its zero CreatedAt and UpdatedAt become
// the current time.
func (k recordKind[R, D]) stamped(s *Store, r *R) *R {
	c := *r
	if k.times != nil {
		created, updated := k.times(&c)
		*created, *updated = s.orNow(*created), s.orNow(*updated)
	}
	return &c
}

// createRecord stores a stamped copy of r under its key. ECONFLICT if the key is taken.
func createRecord[R, D any](ctx context.Context, s *Store, k recordKind[R, D], r *R) error {
	key := k.key(r)
	doc := k.encode(k.stamped(s, r))
	return s.atomically(ctx, "create "+k.what, func(b *batch) error {
		snap, err := s.get(ctx, k.ref(s, key))
		if err != nil {
			return err
		}
		if snap.Exists() {
			return taken(k.what, key)
		}
		b.create(snap.Ref, doc)
		return nil
	})
}

// getRecord returns the record with key, or ENOTFOUND.
func getRecord[R, D any](ctx context.Context, s *Store, k recordKind[R, D], key string) (*R, error) {
	snap, err := s.get(ctx, k.ref(s, key))
	if err != nil {
		return nil, storeError(err, "get "+k.what)
	}
	if !snap.Exists() {
		return nil, notFound(k.what, key)
	}
	return k.fromSnap(snap)
}

// updateRecord applies fn to the stored record and writes it back with a precondition on the
// version fn saw (fn runs again if another writer got there first). EINVALID if fn changes
// the key; fn's own error is returned as it is, with nothing written.
func updateRecord[R, D any](ctx context.Context, s *Store, k recordKind[R, D], key string, fn func(*R) error) (*R, error) {
	var out *R
	err := s.atomically(ctx, "update "+k.what, func(b *batch) error {
		snap, r, err := k.load(ctx, s, key)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if got := k.key(r); got != key {
			return keyChanged(k.what, key, k.keyName, got)
		}
		if k.times != nil {
			_, updated := k.times(r)
			*updated = s.clock()
		}
		doc := k.encode(r)
		b.put(snap, doc)
		out = k.decode(doc) // what was stored, as GetX would return it
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deleteRecord removes the record with key, or returns ENOTFOUND.
func deleteRecord[R, D any](ctx context.Context, s *Store, k recordKind[R, D], key string) error {
	return s.atomically(ctx, "delete "+k.what, func(b *batch) error {
		snap, err := s.get(ctx, k.ref(s, key))
		if err != nil {
			return err
		}
		if !snap.Exists() {
			return notFound(k.what, key)
		}
		b.remove(snap)
		return nil
	})
}

// listRecords runs q and returns its records ordered by key. Callers filter only on equality,
// so no composite index is needed; the sets they list (one user's tenants or sub-keys) are
// small.
func listRecords[R, D any](ctx context.Context, s *Store, k recordKind[R, D], q firestore.Query) ([]*R, error) {
	out, err := readAll(ctx, q, "list "+k.what+"s", k.fromSnap)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *R) int {
		switch ka, kb := k.key(a), k.key(b); {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return out, nil
}

// readAll runs q and decodes its documents, in the order q returns them; op names the read in
// errors.
func readAll[R any](ctx context.Context, q firestore.Query, op string, decode func(*firestore.DocumentSnapshot) (*R, error)) ([]*R, error) {
	snaps, err := q.Documents(ctx).GetAll()
	if err != nil {
		return nil, storeError(err, op)
	}
	out := make([]*R, 0, len(snaps))
	for _, snap := range snaps {
		r, err := decode(snap)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ownedBy is a query of the collection col: the records of userID, or every record when
// userID is "" (what the filters of ListTenants and ListSubKeys mean).
func (s *Store) ownedBy(col, userID string) firestore.Query {
	q := s.client.Collection(col).Query
	if userID != "" {
		q = q.Where("userId", "==", userID)
	}
	return q
}
