package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// ListAuditToTrim returns the untrimmed events written before before, oldest first (the
// composite index trimmed, time in firestore.indexes.json serves it). Events written before
// the trimmed field existed lack it and are not found.
func (s *Store) ListAuditToTrim(ctx context.Context, before time.Time, limit int) ([]*launchpad.AuditEvent, error) {
	limit = contract.ListLimit(limit)
	q := s.client.Collection(s.col.auditEvents).Where("trimmed", "==", false).Where("time", "<", before).
		OrderBy("time", firestore.Asc).Limit(limit)
	out := []*launchpad.AuditEvent{}
	err := s.scanAudit(ctx, q, func(e *launchpad.AuditEvent) bool { out = append(out, e); return true })
	return out, err
}

// TrimAudit empties and marks the events, found through their id reservations, in commits of
// pseudonymiseChunk, each conditional on the events being unchanged since they were read.
func (s *Store) TrimAudit(ctx context.Context, ids []string) (int, error) {
	total := 0
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), pseudonymiseChunk)]
		ids = ids[len(chunk):]
		n := 0
		err := s.atomically(ctx, "trim audit events", func(b *batch) error {
			n = 0
			for _, id := range chunk {
				idSnap, err := s.get(ctx, s.doc(s.col.auditIDs, id))
				if err != nil {
					return err
				}
				if !idSnap.Exists() {
					continue // not an event: nothing to trim
				}
				var ref auditIDDoc
				if err := idSnap.DataTo(&ref); err != nil {
					return err
				}
				snap, err := s.get(ctx, s.client.Collection(s.col.auditEvents).Doc(auditEventID(ref.Stream, ref.Seq)))
				if err != nil {
					return err
				}
				if !snap.Exists() {
					continue
				}
				var d auditDoc
				if err := snap.DataTo(&d); err != nil {
					return err
				}
				if d.Trimmed {
					continue
				}
				b.put(snap, toAuditDoc(launchpad.TrimmedEvent(d.event())))
				n++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
