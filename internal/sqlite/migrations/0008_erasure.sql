-- Account deletion (launchpad.ErasureStore).
--
-- pseudonymised marks an audit event whose user was erased: its stream, actor, target and
-- details were replaced by keyed hashes, and it keeps the hash it was written with (which the
-- next event of its chain and the log's tree pin). 0 for every existing event.
ALTER TABLE audit_events ADD COLUMN pseudonymised INTEGER NOT NULL DEFAULT 0;

-- Events stay append-only, with one more change allowed besides setting a missing index:
-- pseudonymising an event once, into an erased stream, keeping its place, time, action and
-- hashes.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OF stream, seq, id, time, actor, action, target, details, prev_hash, hash, pseudonymised ON audit_events
	WHEN NOT (OLD.pseudonymised = 0 AND NEW.pseudonymised = 1 AND substr(NEW.stream, 1, 7) = 'erased:'
		AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.time = OLD.time AND NEW.action = OLD.action
		AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash)
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
