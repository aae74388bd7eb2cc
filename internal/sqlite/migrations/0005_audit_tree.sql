-- The audit log's Merkle tree across all streams (launchpad/audittree.go). Each event gets its
-- 0-based leaf index, log_index, in the transaction that appends it; events written before
-- this migration keep NULL until IndexAudit places them (oldest first). audit_tree holds the
-- tree's stored hashes (tlog.StoredHashes), keyed by stored-hash index.
ALTER TABLE audit_events ADD COLUMN log_index INTEGER;
CREATE UNIQUE INDEX audit_events_log_index ON audit_events (log_index) WHERE log_index IS NOT NULL;
-- What IndexAudit has left to do, in the order it does it; empty once every event is placed.
CREATE INDEX audit_events_unindexed ON audit_events (time, stream, seq) WHERE log_index IS NULL;

-- Events stay append-only: the only change allowed is giving an event without an index its
-- index, once.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OF stream, seq, id, time, actor, action, target, details, prev_hash, hash ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_index_once BEFORE UPDATE OF log_index ON audit_events
	WHEN OLD.log_index IS NOT NULL OR NEW.log_index IS NULL
BEGIN
	SELECT RAISE(ABORT, 'an audit event''s log index is set once');
END;

CREATE TABLE audit_tree (
	idx  INTEGER PRIMARY KEY,
	hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN
	SELECT RAISE(ABORT, 'the audit tree is append-only');
END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN
	SELECT RAISE(ABORT, 'the audit tree is append-only');
END;
