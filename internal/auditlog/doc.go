// Package auditlog makes the audit log verifiable by anyone who holds a checkpoint: it builds
// and checks the Merkle tree the stores keep over every audit event (launchpad/audittree.go),
// signs checkpoints of it as C2SP signed notes (golang.org/x/mod/sumdb/note, Ed25519) over the
// C2SP tlog-checkpoint body, with a key derived from LAUNCHPAD_AUDIT_SIGNING_SECRET alone, and
// pushes them to an outside witness.
//
// What it protects against: someone who can write to the store but does not hold the signing
// secret. They can rewrite an event and recompute its stream's chain and the stored tree
// hashes, or delete the newest events, but the tree rebuilt from the events then no longer
// extends any checkpoint signed before, and they cannot sign a new one.
package auditlog
