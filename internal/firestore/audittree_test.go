package firestore

import (
	"fmt"
	"testing"
	"time"

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
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for seq := int64(1); seq <= 3; seq++ {
		e := &launchpad.AuditEvent{ID: fmt.Sprintf("old-%d", seq), Stream: "old", Seq: seq, Time: base.Add(time.Duration(seq) * time.Minute),
			Actor: launchpad.ActorSystem, Action: launchpad.AuditPlanChanged, Details: map[string]string{}, PrevHash: prev}
		e.Hash = launchpad.AuditHash(e)
		prev = e.Hash
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
	if got, err := s.GetAudit(ctx, "old-1"); err != nil || got.Index != launchpad.NotIndexed {
		t.Fatalf("an event without logIndex reads as %+v, %v; want Index NotIndexed", got, err)
	}
	storetest.CheckAuditTree(t, s, 2)
	if size, err := s.IndexAudit(ctx); err != nil || size != 5 {
		t.Fatalf("IndexAudit = %d, %v; want 5", size, err)
	}
	for seq, want := range []int64{2, 3, 4} {
		if got, _ := s.GetAudit(ctx, fmt.Sprintf("old-%d", seq+1)); got == nil || got.Index != want {
			t.Fatalf("old-%d got index %v, want %d", seq+1, got, want)
		}
	}
	storetest.CheckAuditTree(t, s, 5)
	if size, err := s.IndexAudit(ctx); err != nil || size != 5 {
		t.Fatalf("a second IndexAudit = %d, %v", size, err)
	}
	storetest.CheckAuditTree(t, s, 5)
}
