package firestore

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
)

// Events stored before the tree existed have no logIndex field at all (older binaries did not
// write one): IndexAudit places them after the ones already in the tree, oldest first, and a
// second run changes nothing.
func TestIndexAuditPlacesOlderEvents(t *testing.T) {
	ctx := t.Context()
	s := newTestStore(t)
	for range 2 {
		if _, err := s.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "new", Action: launchpad.AuditSignIn}); err != nil {
			t.Fatal(err)
		}
	}
	older := storetest.OlderAuditEvents(3)
	for _, e := range older {
		// The document as the previous binary wrote it: every field but logIndex.
		doc := map[string]any{"id": e.ID, "stream": e.Stream, "seq": e.Seq, "time": e.Time, "actor": e.Actor, "action": e.Action,
			"target": "", "details": map[string]string{}, "prevHash": e.PrevHash, "hash": e.Hash}
		if _, err := s.client.Collection(s.col.auditEvents).Doc(auditEventID(e.Stream, e.Seq)).Create(ctx, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.doc(s.col.auditIDs, e.ID).Create(ctx, &auditIDDoc{ID: e.ID, Stream: e.Stream, Seq: e.Seq}); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckIndexAudit(t, s, 2, older)
}
