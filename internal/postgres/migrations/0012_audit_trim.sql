-- Audit retention (launchpad.AuditTrimStore).
--
-- trimmed marks an audit event that was archived and whose actor, target and details were
-- emptied; it keeps its stream, place, time, action and the hash it was written with (which
-- the next event of its chain and the log's tree pin). false for every existing event.
ALTER TABLE audit_events ADD COLUMN trimmed boolean NOT NULL DEFAULT false;

-- The events a retention pass still has to archive, oldest first.
CREATE INDEX audit_events_untrimmed ON audit_events (time, log_index) WHERE NOT trimmed;

-- Events stay append-only, with one more change allowed besides indexing and pseudonymising:
-- trimming an event once, emptying its content and keeping everything else.
CREATE OR REPLACE FUNCTION audit_events_index_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
		AND ROW(OLD.stream, OLD.seq, OLD.id, OLD.time, OLD.actor, OLD.action, OLD.target, OLD.details, OLD.prev_hash, OLD.hash, OLD.pseudonymised, OLD.trimmed)
			IS NOT DISTINCT FROM ROW(NEW.stream, NEW.seq, NEW.id, NEW.time, NEW.actor, NEW.action, NEW.target, NEW.details, NEW.prev_hash, NEW.hash, NEW.pseudonymised, NEW.trimmed) THEN
		RETURN NEW;
	END IF;
	IF NOT OLD.pseudonymised AND NEW.pseudonymised AND starts_with(NEW.stream, 'erased:')
		AND ROW(OLD.seq, OLD.id, OLD.time, OLD.action, OLD.prev_hash, OLD.hash, OLD.log_index, OLD.trimmed)
			IS NOT DISTINCT FROM ROW(NEW.seq, NEW.id, NEW.time, NEW.action, NEW.prev_hash, NEW.hash, NEW.log_index, NEW.trimmed) THEN
		RETURN NEW;
	END IF;
	IF NOT OLD.trimmed AND NEW.trimmed AND NEW.actor = '' AND NEW.target = '' AND NEW.details = '{}'::jsonb
		AND ROW(OLD.stream, OLD.seq, OLD.id, OLD.time, OLD.action, OLD.prev_hash, OLD.hash, OLD.log_index, OLD.pseudonymised)
			IS NOT DISTINCT FROM ROW(NEW.stream, NEW.seq, NEW.id, NEW.time, NEW.action, NEW.prev_hash, NEW.hash, NEW.log_index, NEW.pseudonymised) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit events are append-only (only a missing log index may be set, once, an erased user''s event pseudonymised, once, and an archived event trimmed, once)';
END
$$;
