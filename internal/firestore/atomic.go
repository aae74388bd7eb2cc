package firestore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Every read-modify-write of this store is an optimistic transaction: an attempt reads the
// documents it depends on, decides, and queues writes in a batch; the batch commits atomically
// with a precondition on every document the attempt read and writes — "still at the update
// time I read" for a document that existed, "does not exist" for one that did not. If another
// writer got there first a precondition fails, nothing is written, and the attempt runs again
// on fresh reads. This is how Firestore's own mobile and web SDKs run transactions.
//
// Why not the server SDK's read-write transactions: those take read locks. On the emulator,
// sixteen of them incrementing one counter took 7 s with the client's built-in 1 s backoff and
// four minutes (with "Transaction lock timeout" failures) with a short one; the optimistic form
// does the same in about 0.3 s, and on Cloud Firestore it holds no lock between its reads and
// its commit either.
//
// A decision to write may depend only on documents the attempt also writes (or creates): that
// is what makes the preconditions cover it. Queries feed such decisions only through documents
// that are then written (each with its own precondition), or through a head document every
// writer of that set also writes (job queues, audit streams, log heads). An attempt that
// decides to write nothing (a duplicate event, a busy job key) is a plain consistent read.

// errStale, returned by an attempt, says that its reads do not fit together because another
// writer committed between them: the attempt runs again, as after a lost race.
var errStale = errors.New("documents changed while they were read")

// maxAttempts bounds the retries of one optimistic transaction under contention.
const maxAttempts = 80

// A batch is the writes of one attempt. Its methods queue; atomically commits.
type batch struct {
	writes []func(*firestore.Transaction) error
	err    error
}

// create queues the creation of ref; the commit fails if it exists.
func (b *batch) create(ref *firestore.DocumentRef, doc any) {
	if b.check(doc) {
		b.writes = append(b.writes, func(tx *firestore.Transaction) error { return tx.Create(ref, doc) })
	}
}

// put queues writing doc over the document snap was read from: created if it did not exist,
// else every field of doc replaced on condition that the document was not changed since.
// Fields doc does not have (added to a seed document by other software) are kept.
func (b *batch) put(snap *firestore.DocumentSnapshot, doc any) {
	if !snap.Exists() {
		b.create(snap.Ref, doc)
		return
	}
	if b.check(doc) {
		ref, updates, at := snap.Ref, fieldUpdates(doc), snap.UpdateTime
		b.writes = append(b.writes, func(tx *firestore.Transaction) error {
			return tx.Update(ref, updates, firestore.LastUpdateTime(at))
		})
	}
}

// set queues an unconditional replacement of ref.
func (b *batch) set(ref *firestore.DocumentRef, doc any) {
	if b.check(doc) {
		b.writes = append(b.writes, func(tx *firestore.Transaction) error { return tx.Set(ref, doc) })
	}
}

// remove queues deleting the document snap was read from, on condition that it was not
// changed since. Nothing for a document that did not exist.
func (b *batch) remove(snap *firestore.DocumentSnapshot) {
	if !snap.Exists() {
		return
	}
	ref, at := snap.Ref, snap.UpdateTime
	b.writes = append(b.writes, func(tx *firestore.Transaction) error {
		return tx.Delete(ref, firestore.LastUpdateTime(at))
	})
}

// delete queues an unconditional deletion of ref (nothing if it does not exist).
func (b *batch) delete(ref *firestore.DocumentRef) {
	b.writes = append(b.writes, func(tx *firestore.Transaction) error { return tx.Delete(ref) })
}

// check records the first document that cannot be stored.
func (b *batch) check(doc any) bool {
	if b.err != nil {
		return false
	}
	if err := checkUTF8(doc); err != nil {
		b.err = err
		return false
	}
	return true
}

// atomically runs attempt until its batch commits, or attempt or the commit fails for a reason
// other than a lost race. what names the operation in errors. A concurrent writer winning more
// than maxAttempts times in a row is ECONFLICT.
func (s *Store) atomically(ctx context.Context, what string, attempt func(b *batch) error) error {
	pause := 2 * time.Millisecond
	for i := 1; ; i++ {
		retry, err := s.attemptOnce(ctx, attempt)
		if !retry {
			return s.outcome(err, what)
		}
		if i == maxAttempts {
			return wrap(launchpad.Errorf(launchpad.ECONFLICT, "too many concurrent changes (%s); try again", what), err)
		}
		// Full jitter, doubling up to 100 ms: contenders spread out instead of colliding again.
		select {
		case <-ctx.Done():
			return storeError(ctx.Err(), what)
		case <-time.After(time.Duration(rand.Int64N(int64(pause)) + 1)):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// outcome is the error atomically returns for err: Firestore's errors coded by storeError;
// nil, coded errors and the caller's own (an update function's) unchanged.
func (s *Store) outcome(err error, what string) error {
	if _, fromFirestore := status.FromError(err); err != nil && fromFirestore {
		return storeError(err, what)
	}
	return err
}

// attemptOnce runs attempt and commits its batch; retry reports a lost race or stale reads.
func (s *Store) attemptOnce(ctx context.Context, attempt func(b *batch) error) (retry bool, err error) {
	b := &batch{}
	if err := attempt(b); err != nil {
		return errors.Is(err, errStale), err
	}
	if b.err != nil || len(b.writes) == 0 {
		return false, b.err
	}
	err = s.commit(ctx, b)
	return err != nil && lostRace(err), err
}

// commit writes b in one atomic commit. The transaction only writes, so it holds no locks
// between reads and its commit.
func (s *Store) commit(ctx context.Context, b *batch) error {
	return s.client.RunTransaction(ctx, func(_ context.Context, tx *firestore.Transaction) error {
		for _, w := range b.writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	}, firestore.MaxAttempts(1))
}

// lostRace reports whether a commit failed because a precondition no longer held: another
// writer changed, created or deleted a document the attempt read.
func lostRace(err error) bool {
	switch status.Code(err) {
	case codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound, codes.Aborted:
		return true
	}
	return false
}

// getAll reads refs in one round trip; a missing document is a snapshot that does not Exist.
func (s *Store) getAll(ctx context.Context, refs ...*firestore.DocumentRef) ([]*firestore.DocumentSnapshot, error) {
	return s.client.GetAll(ctx, refs)
}

// get reads one document; a missing one is a snapshot that does not Exist.
func (s *Store) get(ctx context.Context, ref *firestore.DocumentRef) (*firestore.DocumentSnapshot, error) {
	snaps, err := s.client.GetAll(ctx, []*firestore.DocumentRef{ref})
	if err != nil {
		return nil, err
	}
	return snaps[0], nil
}
