-- Launchpad's schema, version 1.
--
-- Conventions: times are INTEGER Unix microseconds in UTC, NULL for "not set"; text that is
-- not set is '' (so UNIQUE indexes on optional values are partial: WHERE x <> ''); nested
-- records are JSON documents (TEXT) in which times follow the same convention. Every table is
-- STRICT, so a value of the wrong type is an error instead of a silent conversion.

-- users: one row per user (the Firestore store's launchpad_users/{uid} document).
CREATE TABLE users (
	id                  TEXT PRIMARY KEY,
	email               TEXT NOT NULL,
	plan_name           TEXT NOT NULL,
	openrouter_key      TEXT NOT NULL, -- sealed
	openrouter_key_hash TEXT NOT NULL,
	byok_key            TEXT NOT NULL, -- sealed
	stripe_customer_id  TEXT NOT NULL, -- = subscription.stripe_customer_id, kept here to be indexed
	subscription        TEXT NOT NULL, -- JSON
	usage_doc           TEXT NOT NULL, -- JSON
	mfa_sealed_secret   TEXT NOT NULL, -- sealed TOTP secret
	mfa                 TEXT NOT NULL, -- JSON: the rest of the MFA record
	created_at          INTEGER,
	updated_at          INTEGER
) STRICT;
CREATE UNIQUE INDEX users_email ON users (email) WHERE email <> '';
CREATE INDEX users_stripe_customer ON users (stripe_customer_id) WHERE stripe_customer_id <> '';

CREATE TABLE plans (
	name                    TEXT PRIMARY KEY,
	display_name            TEXT NOT NULL,
	stripe_price_id         TEXT NOT NULL,
	monthly_spend_limit_usd REAL NOT NULL,
	machine_hours_per_cycle INTEGER NOT NULL,
	guest_cpu_kind          TEXT NOT NULL,
	guest_cpus              INTEGER NOT NULL,
	guest_memory_mb         INTEGER NOT NULL,
	volume_size_gb          INTEGER NOT NULL,
	allow_pooled_key        INTEGER NOT NULL,
	created_at              INTEGER,
	updated_at              INTEGER
) STRICT;
CREATE UNIQUE INDEX plans_stripe_price ON plans (stripe_price_id) WHERE stripe_price_id <> '';

CREATE TABLE tenants (
	app_name           TEXT PRIMARY KEY,
	user_id            TEXT NOT NULL,
	product            TEXT NOT NULL,
	region             TEXT NOT NULL,
	plan_name          TEXT NOT NULL,
	image              TEXT NOT NULL,
	network            TEXT NOT NULL,
	machine_id         TEXT NOT NULL,
	volume_id          TEXT NOT NULL,
	ipv4               TEXT NOT NULL,
	ipv6               TEXT NOT NULL,
	key_source         TEXT NOT NULL,
	subkey_hash        TEXT NOT NULL,
	secret_digest      TEXT NOT NULL,
	rebuild_generation INTEGER NOT NULL,
	machine_state      TEXT NOT NULL,
	created_at         INTEGER,
	updated_at         INTEGER
) STRICT;
CREATE INDEX tenants_user ON tenants (user_id, app_name);

-- Sub-key records: never the key itself (that is sealed into users.openrouter_key).
CREATE TABLE sub_keys (
	hash                  TEXT PRIMARY KEY,
	user_id               TEXT NOT NULL,
	plan_name             TEXT NOT NULL,
	name                  TEXT NOT NULL,
	limit_usd             REAL NOT NULL,
	limit_reset           TEXT NOT NULL,
	include_byok_in_limit INTEGER NOT NULL,
	key_id                TEXT NOT NULL,
	disabled              INTEGER NOT NULL,
	rotation_generation   INTEGER NOT NULL,
	created_at            INTEGER,
	updated_at            INTEGER
) STRICT;
CREATE INDEX sub_keys_user ON sub_keys (user_id, hash);

CREATE TABLE stripe_events (
	id           TEXT PRIMARY KEY, -- Stripe's event id: the de-duplication key
	type         TEXT NOT NULL,
	created      INTEGER,
	api_version  TEXT NOT NULL,
	payload      BLOB NOT NULL,    -- the verified raw body
	received_at  INTEGER,
	processed_at INTEGER,
	error        TEXT NOT NULL
) STRICT;
CREATE INDEX stripe_events_received ON stripe_events (received_at DESC, id DESC);

-- The work queue. A job is runnable when queued with run_after <= now, or running with
-- lease_expires_at <= now (its worker died); at most one job per non-empty job_key runs.
CREATE TABLE jobs (
	id               TEXT PRIMARY KEY,
	kind             TEXT NOT NULL,
	job_key          TEXT NOT NULL,
	payload          BLOB NOT NULL,
	supersede        INTEGER NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL,
	max_attempts     INTEGER NOT NULL,
	run_after        INTEGER NOT NULL,
	lease_owner      TEXT NOT NULL,
	lease_expires_at INTEGER,
	created_at       INTEGER NOT NULL,
	started_at       INTEGER,
	finished_at      INTEGER,
	error            TEXT NOT NULL,
	summary_add      INTEGER NOT NULL,
	summary_change   INTEGER NOT NULL,
	summary_destroy  INTEGER NOT NULL
) STRICT;
CREATE INDEX jobs_runnable ON jobs (status, created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_key ON jobs (job_key, status);
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);

-- A job's output in appended pieces; start is the offset of data in the whole output, so
-- offsets stay valid when the oldest pieces are dropped (JobLogLimit).
CREATE TABLE job_log_chunks (
	job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	start  INTEGER NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (job_id, start)
) STRICT, WITHOUT ROWID;

-- One current sign-in code per email; only its HMAC.
CREATE TABLE sign_in_codes (
	email      TEXT PRIMARY KEY,
	hmac       BLOB NOT NULL,
	created_at INTEGER,
	expires_at INTEGER,
	attempts   INTEGER NOT NULL,
	used       INTEGER NOT NULL
) STRICT;

-- Refresh-token sessions; only a hash of each token.
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	family_id  TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	device_id  TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	created_at INTEGER,
	expires_at INTEGER,
	rotated_at INTEGER,
	revoked_at INTEGER
) STRICT;
CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);

CREATE TABLE devices (
	user_id     TEXT NOT NULL,
	fingerprint TEXT NOT NULL, -- a hash of the device cookie
	user_agent  TEXT NOT NULL,
	first_seen  INTEGER,
	last_seen   INTEGER,
	PRIMARY KEY (user_id, fingerprint)
) STRICT, WITHOUT ROWID;

-- The append-only audit log: one hash chain per stream.
CREATE TABLE audit_events (
	stream    TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	id        TEXT NOT NULL UNIQUE,
	time      INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	target    TEXT NOT NULL,
	details   TEXT NOT NULL, -- JSON object of strings
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL,
	PRIMARY KEY (stream, seq)
) STRICT;
CREATE INDEX audit_events_time ON audit_events (time, stream, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Terraform state, one blob per workspace, with an optimistic version.
CREATE TABLE states (
	workspace  TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	updated_at INTEGER
) STRICT;
