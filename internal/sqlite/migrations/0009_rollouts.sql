-- Fleet rollouts (launchpad.Rollout): each one a JSON document, its id and creation time in
-- columns of their own for lookups and the newest-first list. The fleet's desired state
-- (launchpad.Fleet): one row at most (id = 1), none until LAUNCHPAD_IMAGE seeds it.
CREATE TABLE rollouts (
	id          TEXT PRIMARY KEY,
	created_at  INTEGER NOT NULL,
	data        TEXT NOT NULL
) STRICT;
CREATE INDEX rollouts_created ON rollouts (created_at DESC, id DESC);

CREATE TABLE fleet (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	image       TEXT NOT NULL,
	updated_at  INTEGER
) STRICT;
