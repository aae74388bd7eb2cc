package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// PutRetainedWorkspace records w, replacing the record of the same app.
func (db *DB) PutRetainedWorkspace(ctx context.Context, w *launchpad.RetainedWorkspace) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO retained_workspaces (app_name, snapshot_id, kept_at, until_at) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (app_name) DO UPDATE SET snapshot_id = ?2, kept_at = ?3, until_at = ?4`,
			w.AppName, w.SnapshotID, timeArg(w.KeptAt), timeArg(w.Until))
		return err
	})
}

// ListRetainedWorkspaces returns at most limit workspaces kept before keptBefore, oldest first.
func (db *DB) ListRetainedWorkspaces(ctx context.Context, keptBefore time.Time, limit int) ([]*launchpad.RetainedWorkspace, error) {
	return list(ctx, db, scanRetainedWorkspace, `SELECT app_name, snapshot_id, kept_at, until_at FROM retained_workspaces
		WHERE kept_at < ? ORDER BY kept_at, app_name LIMIT ?`, timeArg(keptBefore), limit)
}

// DeleteRetainedWorkspace forgets the app's record.
func (db *DB) DeleteRetainedWorkspace(ctx context.Context, appName string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM retained_workspaces WHERE app_name = ?`, appName)
		return err
	})
}

func scanRetainedWorkspace(row scanner) (*launchpad.RetainedWorkspace, error) {
	w := &launchpad.RetainedWorkspace{}
	if err := row.Scan(&w.AppName, &w.SnapshotID, scanTime(&w.KeptAt), scanTime(&w.Until)); err != nil {
		return nil, err
	}
	return w, nil
}
