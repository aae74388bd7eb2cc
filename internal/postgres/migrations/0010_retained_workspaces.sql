-- The workspaces destroyed tenants left at Fly (launchpad.RetainedWorkspace): one row per
-- retained app, until the purge loop deletes the app.
CREATE TABLE retained_workspaces (
	app_name    text PRIMARY KEY,
	snapshot_id text NOT NULL,
	kept_at     timestamptz NOT NULL,
	until_at    timestamptz
);
CREATE INDEX retained_workspaces_kept ON retained_workspaces (kept_at, app_name);
