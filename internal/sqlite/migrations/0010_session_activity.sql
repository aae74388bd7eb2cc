-- Where and when each session was last used, for the security page and the data export
-- (launchpad.Session.IP and LastSeenAt): set by the sign-in and each refresh, and by
-- Store.TouchSession at most once a minute while the session is in use. Empty and NULL for
-- the sessions of earlier versions. Erasure and retention delete them with their rows.
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
