package postgres

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// PutRetainedWorkspace records w, replacing the record of the same app.
func (db *DB) PutRetainedWorkspace(ctx context.Context, w *launchpad.RetainedWorkspace) error {
	kept, until := w.KeptAt.UTC(), w.Until.UTC()
	return db.alone(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO retained_workspaces (app_name, snapshot_id, kept_at, until_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (app_name) DO UPDATE SET snapshot_id = $2, kept_at = $3, until_at = $4`,
			w.AppName, w.SnapshotID, ts(&kept), ts(&until))
		return err
	})
}

// ListRetainedWorkspaces returns at most limit workspaces kept before keptBefore, oldest first.
func (db *DB) ListRetainedWorkspaces(ctx context.Context, keptBefore time.Time, limit int) ([]*launchpad.RetainedWorkspace, error) {
	var out []*launchpad.RetainedWorkspace
	err := db.alone(ctx, func(q querier) error {
		out = nil
		rows, err := q.Query(ctx, `SELECT app_name, snapshot_id, kept_at, until_at FROM retained_workspaces
			WHERE kept_at < $1 ORDER BY kept_at, app_name LIMIT $2`, keptBefore.UTC(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w := &launchpad.RetainedWorkspace{}
			if err := rows.Scan(&w.AppName, &w.SnapshotID, ts(&w.KeptAt), ts(&w.Until)); err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteRetainedWorkspace forgets the app's record.
func (db *DB) DeleteRetainedWorkspace(ctx context.Context, appName string) error {
	return db.alone(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `DELETE FROM retained_workspaces WHERE app_name = $1`, appName)
		return err
	})
}
