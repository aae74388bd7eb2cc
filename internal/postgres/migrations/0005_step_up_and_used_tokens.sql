-- Step-up and revocation at once.
--
-- auth_time is when the user last proved who they are in the session's family
-- (launchpad.Session.AuthTime): set by the sign-in, copied by each rotation, set anew by a
-- step-up. NULL for the sessions of earlier versions, which no step-up check accepts.
ALTER TABLE sessions ADD COLUMN auth_time timestamptz;

-- The current session of each family (the one not rotated), which every request of an access
-- token looks up (Store.GetCurrentSession): one entry per family, not one per rotation.
CREATE INDEX sessions_family_current ON sessions (family_id) WHERE rotated_at IS NULL;

-- Spent single-use tokens (the jti of MFA tokens), each kept until the token's own expiry
-- (Store.UseToken); expired markers are purged as new ones are written.
CREATE TABLE used_tokens (
	id         text COLLATE "C" PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX used_tokens_expiry ON used_tokens (expires_at);
