package storetest

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func auditTreeCases() []testCase {
	return []testCase{
		{"audit/tree_indexes_every_append", testAuditTreeAppend},
		{"audit/tree_concurrent_appends_contiguous", testAuditTreeConcurrent},
		{"audit/tree_proofs_verify", testAuditTreeProofs},
		{"audit/get_audit", testGetAudit},
	}
}

// wantStoredTree checks that the store's tree hashes give the same root as the tree rebuilt
// from its events, and returns that tree.
func wantStoredTree(t *testing.T, s launchpad.AuditStore, size int64) *auditlog.Tree {
	t.Helper()
	got, err := s.AuditTreeSize(t.Context())
	wantOK(t, err, "AuditTreeSize")
	if got != size {
		t.Fatalf("AuditTreeSize = %d, want %d", got, size)
	}
	tree, err := auditlog.Rebuild(t.Context(), s)
	wantOK(t, err, "rebuilding the tree from ListAuditLog")
	if tree.Size() != size {
		t.Fatalf("ListAuditLog lists %d events, want %d", tree.Size(), size)
	}
	want, err := tree.Root(size)
	wantOK(t, err, "root of the rebuilt tree")
	stored, err := tlog.TreeHash(size, auditlog.StoreReader(t.Context(), s))
	wantOK(t, err, "TreeHash over ReadAuditHashes")
	if stored != want {
		t.Fatalf("the stored tree hashes give root %s, the events %s", stored, want)
	}
	return tree
}

func testAuditTreeAppend(t *testing.T, s launchpad.Store) {
	streams := []string{"u1", "u2", launchpad.PlatformStream}
	var appended []*launchpad.AuditEvent
	for i := range 7 {
		e := newAuditEvent(streams[i%3], launchpad.AuditPlanChanged)
		e.Index = 42 // the store assigns it
		got := appendAudit(t, s, e)
		if got.Index != int64(i) {
			t.Fatalf("append %d got index %d, want %d", i, got.Index, i)
		}
		appended = append(appended, got)
		wantStoredTree(t, s, int64(i+1))
	}
	log, err := s.ListAuditLog(t.Context(), 0, 0)
	wantOK(t, err, "ListAuditLog")
	wantEqual(t, "ListAuditLog (the events as AppendAudit returned them)", log, appended)
	page, err := s.ListAuditLog(t.Context(), 3, 2)
	wantOK(t, err, "ListAuditLog(3, 2)")
	wantEqual(t, "ListAuditLog(3, 2)", page, appended[3:5])
	if rest, err := s.ListAuditLog(t.Context(), 7, 10); err != nil || len(rest) != 0 {
		t.Fatalf("ListAuditLog past the end = %d events, %v; want none", len(rest), err)
	}
	// ListAudit shows the index too.
	if listed := listAudit(t, s, launchpad.AuditFilter{Stream: "u2"}); len(listed) != 2 || listed[0].Index != 1 || listed[1].Index != 4 {
		t.Fatalf("ListAudit(u2) indexes = %v, want [1 4]", fields(listed, func(e *launchpad.AuditEvent) int64 { return e.Index }))
	}
	// Nothing to index: IndexAudit changes nothing.
	size, err := s.IndexAudit(t.Context())
	wantOK(t, err, "IndexAudit")
	if size != 7 {
		t.Fatalf("IndexAudit = %d, want the tree size 7", size)
	}
	wantStoredTree(t, s, 7)
	_, err = s.ReadAuditHashes(t.Context(), []int64{tlog.StoredHashCount(7) + 5})
	wantCode(t, err, launchpad.ENOTFOUND, "ReadAuditHashes of a hash not stored")
}

func testAuditTreeConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	streams := []string{"u1", "u2", launchpad.PlatformStream}
	Race(concurrency, func(i int) {
		e := newAuditEvent(streams[i%len(streams)], launchpad.AuditApplyFinished)
		e.Target = fmt.Sprintf("writer-%02d", i)
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Errorf("AppendAudit %d: %v", i, err)
		}
	})
	var indexes []int64
	for _, stream := range streams {
		for _, e := range listAudit(t, s, launchpad.AuditFilter{Stream: stream}) {
			indexes = append(indexes, e.Index)
		}
	}
	slices.Sort(indexes)
	for i, x := range indexes {
		if x != int64(i) {
			t.Fatalf("%d concurrent appends got indexes %v, want each of 0..%d once", concurrency, indexes, concurrency-1)
		}
	}
	wantStoredTree(t, s, int64(concurrency))
}

func testAuditTreeProofs(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for i := range 9 {
		appendAudit(t, s, newAuditEvent(fmt.Sprintf("u%d", i%2), launchpad.AuditSignIn))
	}
	r := auditlog.StoreReader(ctx, s)
	root, err := tlog.TreeHash(9, r)
	wantOK(t, err, "TreeHash")
	log, err := s.ListAuditLog(ctx, 0, 0)
	wantOK(t, err, "ListAuditLog")
	for _, e := range log {
		proof, err := tlog.ProveRecord(9, e.Index, r)
		wantOK(t, err, fmt.Sprintf("ProveRecord(9, %d)", e.Index))
		if err := tlog.CheckRecord(proof, 9, root, e.Index, tlog.RecordHash(launchpad.AuditLeaf(e))); err != nil {
			t.Fatalf("the inclusion proof of leaf %d does not verify: %v", e.Index, err)
		}
		e.Details["forged"] = "yes"
		if err := tlog.CheckRecord(proof, 9, root, e.Index, tlog.RecordHash(launchpad.AuditLeaf(e))); err == nil {
			t.Fatalf("the inclusion proof of leaf %d verifies an altered event", e.Index)
		}
	}
	for old := int64(1); old < 9; old++ {
		oldRoot, err := tlog.TreeHash(old, r)
		wantOK(t, err, "TreeHash(old)")
		proof, err := tlog.ProveTree(9, old, r)
		wantOK(t, err, "ProveTree")
		if err := tlog.CheckTree(proof, 9, root, old, oldRoot); err != nil {
			t.Fatalf("the consistency proof %d -> 9 does not verify: %v", old, err)
		}
	}
}

func testGetAudit(t *testing.T, s launchpad.Store) {
	appendAudit(t, s, newAuditEvent("u1", launchpad.AuditSignIn))
	e := newAuditEvent("u2", launchpad.AuditKeyMinted)
	e.ID = "audit-get-1"
	want := appendAudit(t, s, e)
	got, err := s.GetAudit(t.Context(), "audit-get-1")
	wantOK(t, err, "GetAudit")
	wantEqual(t, "GetAudit", got, want)
	_, err = s.GetAudit(t.Context(), "no-such-event")
	wantCode(t, err, launchpad.ENOTFOUND, "GetAudit of an unknown id")
}
