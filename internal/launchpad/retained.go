package launchpad

import (
	"context"
	"time"
)

// RetainedWorkspace is a destroyed tenant's /workspace kept at Fly: a volume snapshot in the
// tenant's app, which the destroy left empty (no machine, volume, address or key) because Fly
// reaches a snapshot only through its app. The purge loop deletes the app, and the snapshot
// with it, once the workspace is older than the snapshot retention setting; restoring a
// tenant into the app (restore_from) makes it a tenant's again.
type RetainedWorkspace struct {
	AppName    string
	SnapshotID string
	// KeptAt is when the destroy kept it; the retention counts from here.
	KeptAt time.Time
	// Until is when Fly deletes the snapshot on its own (its retention days).
	Until time.Time
}

// RetainedWorkspaceStore remembers the workspaces destroyed tenants left at Fly, so they can
// be deleted once their retention has passed: Fly lists a deleted volume, and so finds its
// snapshots, for a day at most.
type RetainedWorkspaceStore interface {
	// PutRetainedWorkspace records w, replacing the record of the same app.
	PutRetainedWorkspace(ctx context.Context, w *RetainedWorkspace) error
	// ListRetainedWorkspaces returns at most limit workspaces kept before keptBefore, oldest
	// first.
	ListRetainedWorkspaces(ctx context.Context, keptBefore time.Time, limit int) ([]*RetainedWorkspace, error)
	// DeleteRetainedWorkspace forgets the app's record; forgetting one that is not recorded
	// succeeds.
	DeleteRetainedWorkspace(ctx context.Context, appName string) error
}
