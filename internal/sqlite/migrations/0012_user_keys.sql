-- Each user's key material (launchpad.UserKeyStore): the random half of the key their
-- credentials are sealed under. Deleting the row crypto-shreds those credentials.
CREATE TABLE user_keys (
	user_id     TEXT PRIMARY KEY,
	material    BLOB NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
