-- The platform key the store's credentials are sealed under (launchpad.PlatformKeys): the
-- active key id, the key id a rotation in progress moves to, and the retired key ids, oldest
-- first, so that every process can tell whether its PLATFORM_SECRET is the store's before it
-- seals. One row at most (id = 1); none until the first seal.
CREATE TABLE platform_keys (
	id         integer PRIMARY KEY CHECK (id = 1),
	active     text NOT NULL,
	next       text NOT NULL,
	retired    text[] NOT NULL DEFAULT '{}',
	updated_at timestamptz
);
