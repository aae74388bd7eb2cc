-- The audit log's Merkle tree across all streams (launchpad/audittree.go). Each event gets its
-- 0-based leaf index, log_index, in the transaction that appends it; events written before
-- this migration (or by an older binary during a rolling deploy) keep NULL until IndexAudit
-- places them, oldest first. audit_tree holds the tree's stored hashes (tlog.StoredHashes),
-- keyed by stored-hash index. Expanding: older binaries keep appending, without an index.
ALTER TABLE audit_events ADD COLUMN log_index bigint;
CREATE UNIQUE INDEX audit_events_log_index ON audit_events (log_index);
-- What IndexAudit has left to do, in the order it does it; empty once every event is placed.
CREATE INDEX audit_events_unindexed ON audit_events (time, stream, seq) WHERE log_index IS NULL;

-- Events stay append-only: the only change allowed is giving an event without an index its
-- index, once, with every other column unchanged.
CREATE FUNCTION audit_events_index_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
		AND ROW(OLD.stream, OLD.seq, OLD.id, OLD.time, OLD.actor, OLD.action, OLD.target, OLD.details, OLD.prev_hash, OLD.hash)
			IS NOT DISTINCT FROM ROW(NEW.stream, NEW.seq, NEW.id, NEW.time, NEW.actor, NEW.action, NEW.target, NEW.details, NEW.prev_hash, NEW.hash) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit events are append-only (only a missing log index may be set, once)';
END
$$;
DROP TRIGGER audit_events_no_update ON audit_events;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_update BEFORE UPDATE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_index_once();

CREATE TABLE audit_tree (
	idx  bigint PRIMARY KEY,
	hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TRIGGER audit_tree_no_update BEFORE UPDATE OR DELETE ON audit_tree
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
