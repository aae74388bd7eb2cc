package launchpad

import (
	"context"
	"time"
)

// Audit trimming. By default the audit log keeps every event for as long as the control plane
// runs. An operator who sets a retention has the events older than it exported to an archive
// (each with its inclusion proof against a signed checkpoint) and then trimmed in the store:
// the event's content (actor, target, details) is emptied and it is marked Trimmed, while its
// stream, Seq, Time, Action, PrevHash, Hash and Index stay. Like a pseudonymised event, a
// trimmed one is checked by the Hash it was written with (AuditDigest), which the next event
// of its chain and the signed checkpoints already pin, so the log still verifies.

// AuditTrimStore is what the audit retention asks of a store.
type AuditTrimStore interface {
	// ListAuditToTrim returns up to limit events written before before that are not trimmed
	// yet, oldest first (by Time, then Index). limit 0 means 100; at most 1000.
	ListAuditToTrim(ctx context.Context, before time.Time, limit int) ([]*AuditEvent, error)
	// TrimAudit empties the actor, target and details of the events ids names and marks them
	// Trimmed, keeping everything else. Ids of trimmed or unknown events are skipped, so a run
	// interrupted by a crash is simply run again; it returns how many events it trimmed.
	TrimAudit(ctx context.Context, ids []string) (int, error)
}

// TrimmedEvent returns the copy of e that TrimAudit stores: content emptied, marked Trimmed.
func TrimmedEvent(e *AuditEvent) *AuditEvent {
	c := *e
	c.Actor, c.Target, c.Details, c.Trimmed = "", "", map[string]string{}, true
	return &c
}
