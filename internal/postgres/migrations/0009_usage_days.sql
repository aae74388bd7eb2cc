-- Usage per day of the billing cycle (launchpad.Usage.Days, a jsonb array of
-- {"day", "machine_seconds", "spend_usd"}), the sub-key's last spend reading the spend per
-- day is counted from, and when the spend limit's 80% warning was sent in the cycle.
ALTER TABLE users
	ADD COLUMN usage_spend_warned_at   timestamptz,
	ADD COLUMN usage_spend_reading_usd double precision NOT NULL DEFAULT 0,
	ADD COLUMN usage_spend_reading_key text NOT NULL DEFAULT '',
	ADD COLUMN usage_days              jsonb NOT NULL DEFAULT '[]';
