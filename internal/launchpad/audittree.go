package launchpad

import (
	"golang.org/x/mod/sumdb/tlog"
)

// The audit log's Merkle tree. Besides its stream's hash chain, every event is a leaf of one
// tree over all streams (RFC 6962, as golang.org/x/mod/sumdb/tlog builds it): the store gives
// each appended event the next Index in the same transaction as the append, and keeps the
// tree's stored hashes (tlog.StoredHashes) beside the events. A signed checkpoint of the tree
// (internal/auditlog) then pins the whole log: rewriting any event, even with its chain
// recomputed, or removing the newest ones changes the root, which only the holder of the
// signing secret can sign again.

// NotIndexed is the Index of an event that is not in the tree yet: one written before the
// tree existed (or by an older binary during a rolling upgrade), until IndexAudit places it.
const NotIndexed int64 = -1

// auditLeafPrefix separates the leaves of this log from any other use of the same hashes.
const auditLeafPrefix = "launchpad-audit-leaf-v1\n"

// AuditLeaf is the record data of e in the tree: a fixed prefix and the event's AuditHash,
// recomputed from its fields (not its stored Hash), so a verifier that rebuilds the tree from
// the events checks every field. A pseudonymised event's leaf is its stored Hash
// (AuditDigest): the leaf it was appended with, which the signed checkpoints pin.
func AuditLeaf(e *AuditEvent) []byte {
	return []byte(auditLeafPrefix + AuditDigest(e))
}

// AuditTreeHashes returns the stored hashes that adding e as leaf n (the current tree size)
// creates, and the stored-hash index of the first of them; r reads the hashes stored so far.
// Every store calls it inside its append transaction, so the tree and the events move together.
func AuditTreeHashes(n int64, e *AuditEvent, r tlog.HashReader) (first int64, hashes []tlog.Hash, err error) {
	hashes, err = tlog.StoredHashes(n, AuditLeaf(e), r)
	if err != nil {
		return 0, nil, Errorf(EINTERNAL, "computing the audit tree hashes of leaf %d: %v", n, err)
	}
	return tlog.StoredHashIndex(0, n), hashes, nil
}
