package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"
)

// The retention sweeps (launchpad.RetentionStore). A sweep queries the documents past the
// cut-off, then erases them in commits of sweepBatch, each re-reading its documents and
// writing on condition that they did not change since: a replica sweeping at the same time,
// or a sign-in touching a device, makes the commit run again on fresh reads, so every
// document is erased, and counted, once. Deleted documents are gone from Firestore's storage,
// not only from queries.

// sweepBatch bounds the documents one commit erases (a commit takes at most 500 writes; a
// session is two).
const sweepBatch = 100

// PurgeStripePayloads empties the payloads of the events received before cutoff.
func (s *Store) PurgeStripePayloads(ctx context.Context, receivedBefore time.Time) (int64, error) {
	q := s.client.Collection(s.col.stripeEvents).Where("receivedAt", "<", receivedBefore)
	return s.sweep(ctx, "erase Stripe payloads", q, func(b *batch, snap *firestore.DocumentSnapshot) (bool, error) {
		var d stripeEventDoc
		if err := snap.DataTo(&d); err != nil {
			return false, err
		}
		if len(d.Payload) == 0 || d.ReceivedAt == nil || !d.ReceivedAt.Before(receivedBefore) {
			return false, nil
		}
		d.Payload = []byte{}
		b.put(snap, &d)
		return true, nil
	})
}

// PurgeJobLogs deletes the logs (head and chunks) of the jobs finished before cutoff.
func (s *Store) PurgeJobLogs(ctx context.Context, finishedBefore time.Time) (int64, error) {
	jobs, err := s.client.Collection(s.col.jobs).Where("finishedAt", "<", finishedBefore).Select().Documents(ctx).GetAll()
	if err != nil {
		return 0, storeError(err, "list finished jobs")
	}
	var n int64
	for _, j := range jobs {
		head := s.logHeadRef(j.Ref.ID)
		erased := false
		err := s.atomically(ctx, "erase job log", func(b *batch) error {
			erased = false
			snap, err := s.get(ctx, head)
			if err != nil || !snap.Exists() {
				return err
			}
			var h logHeadDoc
			if err := snap.DataTo(&h); err != nil {
				return err
			}
			for i := range h.Starts {
				b.delete(s.logChunkRef(j.Ref.ID, h.First+int64(i)))
			}
			b.remove(snap)
			erased = true
			return nil
		})
		if err != nil {
			return n, err
		}
		if erased {
			n++
		}
	}
	return n, nil
}

// PurgeSessions deletes the sessions expired or revoked before cutoff, with their id
// reservations.
func (s *Store) PurgeSessions(ctx context.Context, endedBefore time.Time) (int64, error) {
	var n int64
	for _, field := range []string{"expiresAt", "revokedAt"} {
		q := s.client.Collection(s.col.sessions).Where(field, "<", endedBefore)
		m, err := s.sweep(ctx, "erase sessions", q, func(b *batch, snap *firestore.DocumentSnapshot) (bool, error) {
			var d sessionDoc
			if err := snap.DataTo(&d); err != nil {
				return false, err
			}
			ended := (d.ExpiresAt != nil && d.ExpiresAt.Before(endedBefore)) || (d.RevokedAt != nil && d.RevokedAt.Before(endedBefore))
			if !ended {
				return false, nil
			}
			b.remove(snap)
			b.delete(s.doc(s.col.sessionIDs, d.ID))
			return true, nil
		})
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// PurgeDevices deletes the devices last seen before cutoff.
func (s *Store) PurgeDevices(ctx context.Context, idleBefore time.Time) (int64, error) {
	q := s.client.Collection(s.col.devices).Where("lastSeen", "<", idleBefore)
	return s.sweep(ctx, "erase devices", q, func(b *batch, snap *firestore.DocumentSnapshot) (bool, error) {
		var d deviceDoc
		if err := snap.DataTo(&d); err != nil {
			return false, err
		}
		if d.LastSeen == nil || !d.LastSeen.Before(idleBefore) {
			return false, nil
		}
		b.remove(snap)
		return true, nil
	})
}

// PurgeSignInCodes deletes the codes expired before cutoff.
func (s *Store) PurgeSignInCodes(ctx context.Context, expiredBefore time.Time) (int64, error) {
	q := s.client.Collection(s.col.signInCodes).Where("expiresAt", "<", expiredBefore)
	return s.sweep(ctx, "erase sign-in codes", q, func(b *batch, snap *firestore.DocumentSnapshot) (bool, error) {
		var d signInDoc
		if err := snap.DataTo(&d); err != nil {
			return false, err
		}
		if d.ExpiresAt == nil || !d.ExpiresAt.Before(expiredBefore) {
			return false, nil
		}
		b.remove(snap)
		return true, nil
	})
}

// sweep erases the documents q finds, sweepBatch at a time. erase sees each document as
// read again inside the commit's attempt, says whether it is still to be erased, and adds
// the writes that erase it to b. It returns how many documents were erased.
func (s *Store) sweep(ctx context.Context, what string, q firestore.Query, erase func(b *batch, snap *firestore.DocumentSnapshot) (bool, error)) (int64, error) {
	found, err := q.Select().Documents(ctx).GetAll()
	if err != nil {
		return 0, storeError(err, what)
	}
	var n int64
	for start := 0; start < len(found); start += sweepBatch {
		refs := make([]*firestore.DocumentRef, 0, sweepBatch)
		for _, snap := range found[start:min(start+sweepBatch, len(found))] {
			refs = append(refs, snap.Ref)
		}
		var erased int64
		err := s.atomically(ctx, what, func(b *batch) error {
			erased = 0
			snaps, err := s.getAll(ctx, refs...)
			if err != nil {
				return err
			}
			for _, snap := range snaps {
				if !snap.Exists() {
					continue
				}
				ok, err := erase(b, snap)
				if err != nil {
					return err
				}
				if ok {
					erased++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += erased
	}
	return n, nil
}
