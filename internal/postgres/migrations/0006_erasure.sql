-- Account deletion (launchpad.ErasureStore).
--
-- pseudonymised marks an audit event whose user was erased: its stream, actor, target and
-- details were replaced by keyed hashes, and it keeps the hash it was written with (which the
-- next event of its chain and the log's tree pin). false for every existing event.
ALTER TABLE audit_events ADD COLUMN pseudonymised boolean NOT NULL DEFAULT false;

-- Events stay append-only, with one more change allowed besides setting a missing index:
-- pseudonymising an event once, into an erased stream, keeping its place, time, action,
-- hashes and index.
CREATE OR REPLACE FUNCTION audit_events_index_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
		AND ROW(OLD.stream, OLD.seq, OLD.id, OLD.time, OLD.actor, OLD.action, OLD.target, OLD.details, OLD.prev_hash, OLD.hash, OLD.pseudonymised)
			IS NOT DISTINCT FROM ROW(NEW.stream, NEW.seq, NEW.id, NEW.time, NEW.actor, NEW.action, NEW.target, NEW.details, NEW.prev_hash, NEW.hash, NEW.pseudonymised) THEN
		RETURN NEW;
	END IF;
	IF NOT OLD.pseudonymised AND NEW.pseudonymised AND starts_with(NEW.stream, 'erased:')
		AND ROW(OLD.seq, OLD.id, OLD.time, OLD.action, OLD.prev_hash, OLD.hash, OLD.log_index)
			IS NOT DISTINCT FROM ROW(NEW.seq, NEW.id, NEW.time, NEW.action, NEW.prev_hash, NEW.hash, NEW.log_index) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit events are append-only (only a missing log index may be set, once, and an erased user''s event pseudonymised, once)';
END
$$;

-- The account deletion in progress (launchpad.TenantControl): when it was asked for and the last
-- step finished. NULL and '' for every existing user.
ALTER TABLE users ADD COLUMN control_erasure_requested_at timestamptz;
ALTER TABLE users ADD COLUMN control_erasure_step text NOT NULL DEFAULT '';
