package firestore

import (
	"bytes"
	"context"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// pseudonymiseChunk bounds the events one commit moves (three writes each, under Firestore's
// 500 writes per commit).
const pseudonymiseChunk = 100

// EraseUser deletes every document that names the user. Firestore has no transaction over
// queries of several collections, so it deletes collection by collection, the user's own
// document last: a crash part-way leaves the user findable, and the erasure runs again.
// Deleted documents are gone from the API at once and purged from Google's storage by its
// deletion process.
func (s *Store) EraseUser(ctx context.Context, e launchpad.UserErasure) error {
	if err := launchpad.ValidateUserID(e.UserID); err != nil {
		return err
	}
	jobKeys := []string{e.UserID}
	if e.StripeCustomerID != "" {
		// The jobs of the customer's Stripe events are keyed by the customer.
		jobKeys = append(jobKeys, launchpad.StripeCustomerJobKey(e.StripeCustomerID))
	}
	var refs []*firestore.DocumentRef
	for _, q := range []struct {
		col, field string
		in         []string
	}{
		{s.col.sessions, "userId", []string{e.UserID}}, {s.col.devices, "userId", []string{e.UserID}}, {s.col.tenants, "userId", []string{e.UserID}},
		{s.col.subKeys, "userId", []string{e.UserID}}, {s.col.jobQueues, "key", jobKeys},
	} {
		snaps, err := s.client.Collection(q.col).Where(q.field, "in", q.in).Documents(ctx).GetAll()
		if err != nil {
			return storeError(err, "find the records of the user to erase")
		}
		for _, snap := range snaps {
			refs = append(refs, snap.Ref)
			if q.col == s.col.sessions {
				var d sessionDoc
				if err := snap.DataTo(&d); err == nil {
					refs = append(refs, s.doc(s.col.sessionIDs, d.ID))
				}
			}
		}
	}
	jobs, err := s.client.Collection(s.col.jobs).Where("key", "in", jobKeys).Documents(ctx).GetAll()
	if err != nil {
		return storeError(err, "find the jobs of the user to erase")
	}
	for _, snap := range jobs {
		if snap.Ref.ID == docID(e.KeepJobID) {
			continue
		}
		chunks, err := s.logHeadRef(snap.Ref.ID).Collection("chunks").Documents(ctx).GetAll()
		if err != nil {
			return storeError(err, "find the job logs of the user to erase")
		}
		for _, c := range chunks {
			refs = append(refs, c.Ref)
		}
		refs = append(refs, s.logHeadRef(snap.Ref.ID), snap.Ref)
	}
	if e.Email != "" {
		refs = append(refs, s.doc(s.col.signInCodes, e.Email), s.emailRef(e.Email))
	}
	refs = append(refs, s.userKeyRef(e.UserID))
	if err := s.deleteRefs(ctx, refs); err != nil {
		return err
	}
	if err := s.DeleteState(ctx, e.UserID); err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	if err := s.emptyStripePayloads(ctx, e.Mentions()); err != nil {
		return err
	}
	return s.deleteRefs(ctx, []*firestore.DocumentRef{s.userRef(e.UserID)})
}

// PseudonymiseJob replaces job id's key and payload in one commit, with the queue documents
// of the old key: its lock, held by this job while it runs, moves to the new key, and the
// queue document of its kind and old key is deleted (the user has no queue left).
func (s *Store) PseudonymiseJob(ctx context.Context, id, key string, payload []byte) error {
	return s.atomically(ctx, "pseudonymise job", func(b *batch) error {
		jobSnap, j, err := jobKind.load(ctx, s, id)
		if err != nil {
			return err
		}
		old := j.Key
		j.Key, j.Payload = key, payload
		b.put(jobSnap, jobKind.encode(j))
		if old == "" || old == key {
			return nil
		}
		lockSnap, err := s.get(ctx, s.keyLockRef(old))
		if err != nil {
			return err
		}
		if lock, err := lockOf(lockSnap); err != nil {
			return err
		} else if lockSnap.Exists() && lock.JobID == id {
			lock.Key = key
			b.remove(lockSnap)
			b.set(s.keyLockRef(key), &lock)
		}
		b.delete(s.doc(s.col.jobQueues, compositeID(j.Kind, old)))
		return nil
	})
}

// deleteRefs deletes documents in commits of up to 400.
func (s *Store) deleteRefs(ctx context.Context, refs []*firestore.DocumentRef) error {
	for len(refs) > 0 {
		n := min(len(refs), 400)
		b := s.client.BulkWriter(ctx)
		for _, ref := range refs[:n] {
			if _, err := b.Delete(ref); err != nil {
				b.End()
				return storeError(err, "erase the user's records")
			}
		}
		b.End()
		refs = refs[n:]
	}
	return nil
}

// emptyStripePayloads empties the payload of every recorded Stripe event that mentions one of
// the strings, keeping the event (its id de-duplicates redeliveries). Payloads are opaque
// bytes, so every event is read.
func (s *Store) emptyStripePayloads(ctx context.Context, mentions []string) error {
	snaps, err := s.client.Collection(s.col.stripeEvents).Documents(ctx).GetAll()
	if err != nil {
		return storeError(err, "read the Stripe events")
	}
	for _, snap := range snaps {
		var d stripeEventDoc
		if err := snap.DataTo(&d); err != nil {
			return storeError(err, "decode a Stripe event")
		}
		if !mentionsAny(d.Payload, mentions) {
			continue
		}
		if _, err := snap.Ref.Update(ctx, []firestore.Update{{Path: "payload", Value: []byte{}}}); err != nil {
			return storeError(err, "empty a Stripe payload")
		}
	}
	return nil
}

func mentionsAny(payload []byte, mentions []string) bool {
	for _, m := range mentions {
		if bytes.Contains(payload, []byte(m)) {
			return true
		}
	}
	return false
}

// PseudonymiseAudit moves the stream's events, in commits of pseudonymiseChunk oldest first,
// to documents of the erased stream (the document name holds the stream), repointing each
// event id's reservation; the last commit replaces the stream's head. Each commit is
// conditional on the old head being unchanged, so an append racing with it is not lost.
func (s *Store) PseudonymiseAudit(ctx context.Context, stream string, fn func(*launchpad.AuditEvent)) (int, error) {
	total := 0
	for {
		moved, done := 0, false
		err := s.atomically(ctx, "pseudonymise audit events", func(b *batch) error {
			moved, done = 0, false
			headSnap, err := s.get(ctx, s.doc(s.col.auditStreams, stream))
			if err != nil {
				return err
			}
			if !headSnap.Exists() {
				done = true
				return nil
			}
			var head auditStreamDoc
			if err := headSnap.DataTo(&head); err != nil {
				return err
			}
			q := s.client.Collection(s.col.auditEvents).OrderBy(firestore.DocumentID, firestore.Asc).
				StartAt(auditEventID(stream, 1)).EndBefore(docID(stream) + ";").Limit(pseudonymiseChunk)
			snaps, err := q.Documents(ctx).GetAll()
			if err != nil {
				return err
			}
			probe := &launchpad.AuditEvent{Stream: stream, Details: map[string]string{}}
			fn(probe)
			newHead := auditStreamDoc{Stream: probe.Stream, Seq: head.Seq, Hash: head.Hash, UpdatedAt: ts(s.clock())}
			for _, snap := range snaps {
				var d auditDoc
				if err := snap.DataTo(&d); err != nil {
					return err
				}
				c, err := contract.Pseudonymised(d.event(), fn)
				if err != nil {
					return err
				}
				b.remove(snap)
				b.create(s.client.Collection(s.col.auditEvents).Doc(auditEventID(c.Stream, c.Seq)), toAuditDoc(c))
				b.set(s.doc(s.col.auditIDs, c.ID), &auditIDDoc{ID: c.ID, Stream: c.Stream, Seq: c.Seq})
				moved++
			}
			if len(snaps) < pseudonymiseChunk {
				// The last chunk: the erased stream takes over the head.
				b.remove(headSnap)
				b.set(s.doc(s.col.auditStreams, newHead.Stream), &newHead)
				done = true
			} else {
				b.put(headSnap, &head) // unchanged: the commit's condition on the head
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += moved
		if done {
			return total, nil
		}
	}
}
