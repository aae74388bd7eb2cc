package firestore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/firestore"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// The log's Merkle tree: launchpad_audit_tree/head holds its size, and
// launchpad_audit_tree/{stored-hash index, 20 digits} each stored hash (tlog.StoredHashes),
// written once. Every append reads the head and writes it back, conditional on it being
// unchanged, in the commit that creates the event: that is what gives concurrent appends from
// any process distinct, contiguous indices.
//
// The trade-off: the head is one document every append writes, so appends to the whole log
// (not only to one stream) contend on it. Firestore sustains about one write per second per
// document before contention and retries grow; Launchpad's audit log is written at the rate
// of sign-ins, key changes and applies, far below that, and a lost race is retried
// (atomically) rather than failed. A deployment writing audit events much faster than that
// would need a batching sequencer in front of the tree.

// treeHeadDoc is launchpad_audit_tree/head.
type treeHeadDoc struct {
	Size      int64      `firestore:"size"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

// treeHashDoc is one stored hash.
type treeHashDoc struct {
	Hash []byte `firestore:"hash"`
}

// indexBatch is how many unindexed events one IndexAudit commit places: each adds its event's
// update and about two hash documents, under Firestore's 500 writes per commit.
const indexBatch = 100

func (s *Store) treeHead() *firestore.DocumentRef {
	return s.client.Collection(s.col.auditTree).Doc("head")
}

func (s *Store) treeHashRef(idx int64) *firestore.DocumentRef {
	return s.client.Collection(s.col.auditTree).Doc(fmt.Sprintf("%020d", idx))
}

// addLeaf sets the Index of each event of events, in order, from the tree size in headSnap,
// and queues the hash documents they add and the new head in b. Stored hashes are written
// once and never changed, so the ones read here need no precondition: the head's covers them.
func (s *Store) addLeaf(ctx context.Context, b *batch, headSnap *firestore.DocumentSnapshot, events []*launchpad.AuditEvent) error {
	var head treeHeadDoc
	if headSnap.Exists() {
		if err := headSnap.DataTo(&head); err != nil {
			return err
		}
	}
	written := map[int64]tlog.Hash{} // hashes this attempt queued, not yet readable
	r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var missing []int64
		for i, x := range indexes {
			if h, ok := written[x]; ok {
				out[i] = h
			} else {
				missing = append(missing, x)
			}
		}
		read, err := s.ReadAuditHashes(ctx, missing)
		if err != nil {
			return nil, err
		}
		for i, x := range indexes {
			if _, ok := written[x]; !ok {
				out[i], read = read[0], read[1:]
			}
		}
		return out, nil
	})
	size, err := contract.PlaceAudit(head.Size, events, func(e *launchpad.AuditEvent) error {
		first, hashes, err := launchpad.AuditTreeHashes(e.Index, e, r)
		if err != nil {
			return err
		}
		for i, h := range hashes {
			written[first+int64(i)] = h
			b.create(s.treeHashRef(first+int64(i)), &treeHashDoc{Hash: h[:]})
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.put(headSnap, &treeHeadDoc{Size: size, UpdatedAt: ts(s.clock())})
	return nil
}

// GetAudit returns the event with this id, found through its id reservation.
func (s *Store) GetAudit(ctx context.Context, id string) (*launchpad.AuditEvent, error) {
	idSnap, err := s.get(ctx, s.doc(s.col.auditIDs, id))
	if err != nil {
		return nil, storeError(err, "read audit event id")
	}
	if !idSnap.Exists() {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "audit event %q not found", launchpad.Clip(id, 200))
	}
	var ref auditIDDoc
	if err := idSnap.DataTo(&ref); err != nil {
		return nil, storeError(err, "decode audit event id")
	}
	snap, err := s.get(ctx, s.client.Collection(s.col.auditEvents).Doc(auditEventID(ref.Stream, ref.Seq)))
	if err != nil {
		return nil, storeError(err, "read audit event")
	}
	if !snap.Exists() {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "audit event %q not found", launchpad.Clip(id, 200))
	}
	var d auditDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode audit event")
	}
	return d.event(), nil
}

// ListAuditLog returns the events from index start on, in index order (served by Firestore's
// automatic single-field index on logIndex).
func (s *Store) ListAuditLog(ctx context.Context, start int64, limit int) ([]*launchpad.AuditEvent, error) {
	q := s.client.Collection(s.col.auditEvents).Where("logIndex", ">=", start).OrderBy("logIndex", firestore.Asc).Limit(contract.ListLimit(limit))
	out := []*launchpad.AuditEvent{}
	err := s.scanAudit(ctx, q, func(e *launchpad.AuditEvent) bool { out = append(out, e); return true })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AuditTreeSize is the size the tree's head records.
func (s *Store) AuditTreeSize(ctx context.Context) (int64, error) {
	snap, err := s.get(ctx, s.treeHead())
	if err != nil {
		return 0, storeError(err, "read audit tree head")
	}
	var head treeHeadDoc
	if snap.Exists() {
		if err := snap.DataTo(&head); err != nil {
			return 0, storeError(err, "decode audit tree head")
		}
	}
	return head.Size, nil
}

// ReadAuditHashes returns the stored hashes at indexes.
func (s *Store) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	refs := make([]*firestore.DocumentRef, len(indexes))
	for i, x := range indexes {
		refs[i] = s.treeHashRef(x)
	}
	snaps, err := s.getAll(ctx, refs...)
	if err != nil {
		return nil, storeError(err, "read audit tree hashes")
	}
	out := make([]tlog.Hash, len(indexes))
	for i, snap := range snaps {
		var d treeHashDoc
		if !snap.Exists() {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "audit tree hash %d is not stored", indexes[i])
		}
		if err := snap.DataTo(&d); err != nil || len(d.Hash) != tlog.HashSize {
			return nil, launchpad.Errorf(launchpad.EINTERNAL, "audit tree hash %d is damaged", indexes[i])
		}
		out[i] = tlog.Hash(d.Hash)
	}
	return out, nil
}

// IndexAudit places the events without a logIndex, oldest first. Firestore cannot query for
// a missing field, so it reads every event (by time) to find them; each batch of indexBatch
// is one commit conditional on the tree head and on each event being unchanged, so it is safe
// beside appends and other processes doing the same.
func (s *Store) IndexAudit(ctx context.Context) (int64, error) {
	var pending []*launchpad.AuditEvent
	q := s.client.Collection(s.col.auditEvents).OrderBy("time", firestore.Asc)
	if err := s.scanAudit(ctx, q, func(e *launchpad.AuditEvent) bool {
		if e.Index == launchpad.NotIndexed {
			pending = append(pending, e)
		}
		return true
	}); err != nil {
		return 0, err
	}
	slices.SortStableFunc(pending, func(a, b *launchpad.AuditEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Seq, b.Seq))
	})
	for len(pending) > 0 {
		n := min(indexBatch, len(pending))
		chunk := pending[:n]
		pending = pending[n:]
		err := s.atomically(ctx, "index audit events", func(b *batch) error {
			refs := []*firestore.DocumentRef{s.treeHead()}
			for _, e := range chunk {
				refs = append(refs, s.client.Collection(s.col.auditEvents).Doc(auditEventID(e.Stream, e.Seq)))
			}
			snaps, err := s.getAll(ctx, refs...)
			if err != nil {
				return err
			}
			var todo []*launchpad.AuditEvent
			var todoSnaps []*firestore.DocumentSnapshot
			for _, snap := range snaps[1:] {
				var d auditDoc
				if !snap.Exists() {
					continue
				}
				if err := snap.DataTo(&d); err != nil {
					return err
				}
				if d.LogIndex == nil {
					todo, todoSnaps = append(todo, d.event()), append(todoSnaps, snap)
				}
			}
			if len(todo) == 0 {
				return nil
			}
			if err := s.addLeaf(ctx, b, snaps[0], todo); err != nil {
				return err
			}
			for i, e := range todo {
				b.put(todoSnaps[i], toAuditDoc(e))
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return s.AuditTreeSize(ctx)
}
