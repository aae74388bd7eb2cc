-- Audit retention (launchpad.AuditTrimStore).
--
-- trimmed marks an audit event that was archived and whose actor, target and details were
-- emptied; it keeps its stream, place, time, action and the hash it was written with (which
-- the next event of its chain and the log's tree pin). 0 for every existing event.
ALTER TABLE audit_events ADD COLUMN trimmed INTEGER NOT NULL DEFAULT 0;

-- The events a retention pass still has to archive, oldest first.
CREATE INDEX audit_events_untrimmed ON audit_events (time, log_index) WHERE trimmed = 0;

-- Events stay append-only, with one more change allowed besides indexing and pseudonymising:
-- trimming an event once, emptying its content and keeping everything else.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OF stream, seq, id, time, actor, action, target, details, prev_hash, hash, pseudonymised, trimmed ON audit_events
	WHEN NOT ((OLD.pseudonymised = 0 AND NEW.pseudonymised = 1 AND substr(NEW.stream, 1, 7) = 'erased:'
		AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.time = OLD.time AND NEW.action = OLD.action
		AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash AND NEW.trimmed = OLD.trimmed)
	OR (OLD.trimmed = 0 AND NEW.trimmed = 1 AND NEW.actor = '' AND NEW.target = '' AND NEW.details = '{}'
		AND NEW.stream = OLD.stream AND NEW.seq = OLD.seq AND NEW.id = OLD.id AND NEW.time = OLD.time
		AND NEW.action = OLD.action AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
		AND NEW.pseudonymised = OLD.pseudonymised))
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
