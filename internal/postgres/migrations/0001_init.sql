-- Launchpad's schema on PostgreSQL, version 1.
--
-- Conventions. Tables are created in the schema the connection's search_path names first
-- (launchpad by default). Times are timestamptz, NULL for "not set". Text that is not set is
-- '' (so unique indexes on optional values are partial: WHERE x <> ''). Keys, and the text
-- columns that lists are ordered by, use the "C" collation: byte order whatever the
-- database's locale, the order the other stores return. Numbers are bigint and double
-- precision: a Go int never overflows them. The parts of a user (subscription, usage, tenant
-- control, second factor) are columns of their own, prefixed, so that a later version adds a
-- field as a column with a default, which replicas of the previous version leave alone.

-- users: one row per user (the Firestore store's launchpad_users/{uid} document).
CREATE TABLE users (
	id                  text COLLATE "C" PRIMARY KEY,
	email               text NOT NULL DEFAULT '',
	plan_name           text NOT NULL DEFAULT '',
	openrouter_key      text NOT NULL DEFAULT '', -- sealed
	openrouter_key_hash text NOT NULL DEFAULT '',
	byok_key            text NOT NULL DEFAULT '', -- sealed

	sub_customer_id          text NOT NULL DEFAULT '',
	sub_subscription_id      text NOT NULL DEFAULT '',
	sub_status               text NOT NULL DEFAULT '',
	sub_price_id             text NOT NULL DEFAULT '',
	sub_plan                 text NOT NULL DEFAULT '',
	sub_current_period_start timestamptz,
	sub_current_period_end   timestamptz,
	sub_cancel_at_period_end boolean NOT NULL DEFAULT false,
	sub_canceled_at          timestamptz,
	sub_past_due_since       timestamptz,
	sub_event_created        timestamptz,
	sub_metadata             jsonb NOT NULL DEFAULT '{}',

	usage_cycle_start        timestamptz,
	usage_cycle_end          timestamptz,
	usage_machine_seconds    double precision NOT NULL DEFAULT 0,
	usage_metered_until      timestamptz,
	usage_running            boolean NOT NULL DEFAULT false,
	usage_running_since      timestamptz,
	usage_capped_at          timestamptz,
	usage_spend_exhausted_at timestamptz,

	control_key_rotation_generation bigint NOT NULL DEFAULT 0,
	control_rebuild_generation      bigint NOT NULL DEFAULT 0,
	control_suspended_at            timestamptz,

	mfa_sealed_secret  text NOT NULL DEFAULT '', -- sealed TOTP secret
	mfa_confirmed      boolean NOT NULL DEFAULT false,
	mfa_last_step      bigint NOT NULL DEFAULT 0,
	mfa_recovery_codes text[] NOT NULL DEFAULT '{}', -- hashes
	mfa_enrolled_at    timestamptz,

	created_at timestamptz,
	updated_at timestamptz
);
CREATE UNIQUE INDEX users_email ON users (email) WHERE email <> '';
CREATE INDEX users_stripe_customer ON users (sub_customer_id, id) WHERE sub_customer_id <> '';

CREATE TABLE plans (
	name                    text COLLATE "C" PRIMARY KEY,
	display_name            text NOT NULL,
	stripe_price_id         text NOT NULL,
	monthly_spend_limit_usd double precision NOT NULL,
	machine_hours_per_cycle bigint NOT NULL,
	guest_cpu_kind          text NOT NULL,
	guest_cpus              bigint NOT NULL,
	guest_memory_mb         bigint NOT NULL,
	volume_size_gb          bigint NOT NULL,
	allow_pooled_key        boolean NOT NULL,
	created_at              timestamptz,
	updated_at              timestamptz
);
CREATE UNIQUE INDEX plans_stripe_price ON plans (stripe_price_id) WHERE stripe_price_id <> '';

CREATE TABLE tenants (
	app_name           text COLLATE "C" PRIMARY KEY,
	user_id            text NOT NULL,
	product            text NOT NULL,
	region             text NOT NULL,
	plan_name          text NOT NULL,
	image              text NOT NULL,
	network            text NOT NULL,
	machine_id         text NOT NULL,
	volume_id          text NOT NULL,
	ipv4               text NOT NULL,
	ipv6               text NOT NULL,
	key_source         text NOT NULL,
	subkey_hash        text NOT NULL,
	secret_digest      text NOT NULL,
	rebuild_generation bigint NOT NULL,
	machine_state      text NOT NULL,
	created_at         timestamptz,
	updated_at         timestamptz
);
CREATE INDEX tenants_user ON tenants (user_id, app_name);

-- Sub-key records: never the key itself (that is sealed into users.openrouter_key).
CREATE TABLE sub_keys (
	hash                  text COLLATE "C" PRIMARY KEY,
	user_id               text NOT NULL,
	plan_name             text NOT NULL,
	name                  text NOT NULL,
	limit_usd             double precision NOT NULL,
	limit_reset           text NOT NULL,
	include_byok_in_limit boolean NOT NULL,
	disabled              boolean NOT NULL,
	rotation_generation   bigint NOT NULL,
	created_at            timestamptz,
	updated_at            timestamptz
);
CREATE INDEX sub_keys_user ON sub_keys (user_id, hash);

CREATE TABLE stripe_events (
	id           text COLLATE "C" PRIMARY KEY, -- Stripe's event id: the de-duplication key
	type         text NOT NULL,
	created      timestamptz,
	api_version  text NOT NULL,
	payload      bytea NOT NULL, -- the verified raw body
	received_at  timestamptz,
	processed_at timestamptz,
	error        text NOT NULL
);
CREATE INDEX stripe_events_received ON stripe_events (received_at DESC, id DESC);

-- The work queue. A job is runnable when queued with run_after <= now; a running job whose
-- lease_expires_at has passed (its worker died) is put back in the queue by the next claim.
-- At most one job per non-empty job_key runs: the partial unique index holds that even between
-- claimers that read the same snapshot.
-- log_size is the length of the job's whole output so far: appending to the log updates it,
-- which both serialises concurrent appends and gives each its offset.
CREATE TABLE jobs (
	id               text COLLATE "C" PRIMARY KEY,
	kind             text NOT NULL,
	job_key          text NOT NULL,
	payload          bytea NOT NULL,
	supersede        boolean NOT NULL,
	status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'superseded')),
	attempts         bigint NOT NULL,
	max_attempts     bigint NOT NULL,
	run_after        timestamptz NOT NULL,
	lease_owner      text NOT NULL,
	lease_expires_at timestamptz,
	created_at       timestamptz NOT NULL,
	started_at       timestamptz,
	finished_at      timestamptz,
	error            text NOT NULL,
	summary_add      bigint NOT NULL,
	summary_change   bigint NOT NULL,
	summary_destroy  bigint NOT NULL,
	log_size         bigint NOT NULL DEFAULT 0
);
CREATE INDEX jobs_queued ON jobs (created_at, id) WHERE status = 'queued'; -- the claim order
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running'; -- expired leases, found without the queue
CREATE UNIQUE INDEX jobs_one_running_per_key ON jobs (job_key) WHERE status = 'running' AND job_key <> '';
CREATE INDEX jobs_key ON jobs (job_key, created_at DESC, id DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
-- Every claim and finish leaves a dead row version behind: vacuum and analyze the queue far more
-- often than the defaults (20% and 10% of the table) would, so that dead versions do not pile
-- up in the claim's index and the planner knows how long the queue is.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- A job's output in appended pieces; start is the offset of data in the whole output, so
-- offsets stay valid when the oldest pieces are dropped (JobLogLimit).
CREATE TABLE job_log_chunks (
	job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	start  bigint NOT NULL,
	data   bytea NOT NULL,
	PRIMARY KEY (job_id, start)
);

-- One current sign-in code per email; only its HMAC.
CREATE TABLE sign_in_codes (
	email      text COLLATE "C" PRIMARY KEY,
	hmac       bytea NOT NULL,
	created_at timestamptz,
	expires_at timestamptz,
	attempts   bigint NOT NULL,
	used       boolean NOT NULL
);

-- Refresh-token sessions; only a hash of each token.
CREATE TABLE sessions (
	id         text COLLATE "C" PRIMARY KEY,
	user_id    text NOT NULL,
	family_id  text NOT NULL,
	token_hash text NOT NULL UNIQUE,
	device_id  text NOT NULL,
	user_agent text NOT NULL,
	created_at timestamptz,
	expires_at timestamptz,
	rotated_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);

CREATE TABLE devices (
	user_id     text NOT NULL,
	fingerprint text COLLATE "C" NOT NULL, -- a hash of the device cookie
	user_agent  text NOT NULL,
	first_seen  timestamptz,
	last_seen   timestamptz,
	PRIMARY KEY (user_id, fingerprint)
);

-- The append-only audit log: one hash chain per stream. Rows can be inserted, never changed
-- or removed (the triggers below), short of dropping the triggers, which only the table's
-- owner can do.
CREATE TABLE audit_events (
	stream    text COLLATE "C" NOT NULL,
	seq       bigint NOT NULL,
	id        text NOT NULL UNIQUE,
	time      timestamptz NOT NULL,
	actor     text NOT NULL,
	action    text NOT NULL,
	target    text NOT NULL,
	details   jsonb NOT NULL, -- an object of strings
	prev_hash text NOT NULL,
	hash      text NOT NULL,
	PRIMARY KEY (stream, seq)
);
CREATE INDEX audit_events_time ON audit_events (time, stream, seq);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Terraform state of the runner's per-tenant workspaces, one blob per workspace, with an
-- optimistic version.
CREATE TABLE states (
	workspace  text COLLATE "C" PRIMARY KEY,
	data       bytea NOT NULL,
	version    bigint NOT NULL,
	updated_at timestamptz
);
