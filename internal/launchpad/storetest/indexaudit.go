package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// OlderAuditEvents returns n chained events of one stream "old", dated 2020 (before anything
// the stores' tests append), with their hashes and without an index: what a store holds from
// before the audit tree existed. Store packages write them as raw rows, then call
// CheckIndexAudit.
func OlderAuditEvents(n int) []*launchpad.AuditEvent {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*launchpad.AuditEvent, n)
	prev := ""
	for i := range out {
		seq := int64(i + 1)
		e := &launchpad.AuditEvent{ID: fmt.Sprintf("old-%d", seq), Stream: "old", Seq: seq, Time: base.Add(time.Duration(seq) * time.Minute),
			Actor: launchpad.ActorSystem, Action: launchpad.AuditPlanChanged, Details: map[string]string{}, PrevHash: prev, Index: launchpad.NotIndexed}
		e.Hash = launchpad.AuditHash(e)
		prev = e.Hash
		out[i] = e
	}
	return out
}

// CheckIndexAudit checks, on a store whose tree has size leaves and which also holds older
// (OlderAuditEvents, not in the tree), that the older events read as NotIndexed, that
// IndexAudit places them after the tree's leaves in time order with the tree still matching
// its events, and that running it again changes nothing.
func CheckIndexAudit(t *testing.T, s launchpad.AuditStore, size int64, older []*launchpad.AuditEvent) {
	t.Helper()
	ctx := t.Context()
	if got, err := s.GetAudit(ctx, older[0].ID); err != nil || got.Index != launchpad.NotIndexed {
		t.Fatalf("an event without an index reads as %+v, %v; want Index NotIndexed", got, err)
	}
	wantStoredTree(t, s, size)
	want := size + int64(len(older))
	for range 2 { // the second run has nothing to do
		if got, err := s.IndexAudit(ctx); err != nil || got != want {
			t.Fatalf("IndexAudit = %d, %v; want %d", got, err, want)
		}
		for i, e := range older {
			if got, err := s.GetAudit(ctx, e.ID); err != nil || got.Index != size+int64(i) {
				t.Fatalf("%s got index %v (%v), want %d", e.ID, got, err, size+int64(i))
			}
		}
		wantStoredTree(t, s, want)
	}
}
