-- The platform key the store's credentials are sealed under (launchpad.PlatformKeys): the active
-- key id, the key id a rotation in progress moves to, and the retired key ids (a JSON array),
-- so that every process can tell whether its PLATFORM_SECRET is the store's before it seals.
-- One row at most (id = 1); none until the first seal.
CREATE TABLE platform_keys (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	active      TEXT NOT NULL,
	next        TEXT NOT NULL,
	retired     TEXT NOT NULL,
	updated_at  INTEGER
) STRICT;
