package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// GetState returns the workspace's Terraform state, or ENOTFOUND.
func (db *DB) GetState(ctx context.Context, workspace string) (*launchpad.StateBlob, error) {
	b := &launchpad.StateBlob{Workspace: workspace}
	err := db.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT data, version, updated_at FROM states WHERE workspace = ?`, workspace).
			Scan(&b.Data, &b.Version, scanTime(&b.UpdatedAt))
	})
	if isNoRows(err) {
		return nil, notFound("state of workspace", workspace)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// PutState stores b.Data for b.Workspace and returns the new version. A non-zero b.Version
// must equal the stored version (ECONFLICT otherwise); data over MaxStateSize is EINVALID.
func (db *DB) PutState(ctx context.Context, b *launchpad.StateBlob) (int64, error) {
	data, err := contract.StateData(b)
	if err != nil {
		return 0, err
	}
	var next int64
	err = db.write(ctx, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM states WHERE workspace = ?`, b.Workspace).Scan(&stored)
		if err != nil && !isNoRows(err) {
			return err
		}
		if b.Version != 0 && b.Version != stored {
			return launchpad.Errorf(launchpad.ECONFLICT, "the Terraform state of workspace %q is at version %d, not %d: it changed since it was read; read it again", b.Workspace, stored, b.Version)
		}
		next = stored + 1
		query, args := columns{
			{name: "workspace", arg: b.Workspace},
			{name: "data", arg: data},
			{name: "version", arg: next},
			{name: "updated_at", arg: timeArg(db.clock())},
		}.upsert("states", "workspace")
		_, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return next, nil
}

// DeleteState removes the workspace's state, or returns ENOTFOUND.
func (db *DB) DeleteState(ctx context.Context, workspace string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM states WHERE workspace = ?`, workspace, "state of workspace")
	})
}
