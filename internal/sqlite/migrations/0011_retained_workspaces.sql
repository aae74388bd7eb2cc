-- The workspaces destroyed tenants left at Fly (launchpad.RetainedWorkspace): one row per
-- retained app, until the purge loop deletes the app.
CREATE TABLE retained_workspaces (
	app_name     TEXT PRIMARY KEY,
	snapshot_id  TEXT NOT NULL,
	kept_at      INTEGER NOT NULL,
	until_at     INTEGER
) STRICT;
CREATE INDEX retained_workspaces_kept ON retained_workspaces (kept_at, app_name);
