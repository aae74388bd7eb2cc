package postgres

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// Terraform state of the runner's per-tenant workspaces lives in the states table, beside the
// rest of the store, so a backup of the schema holds it too. (Operators' own fleet
// configurations keep theirs with OpenTofu's pg backend; see the operator guide.)

// stateColumns lists the columns of states with the fields of b they hold.
func stateColumns(b *launchpad.StateBlob) columns {
	return columns{
		{"workspace", &b.Workspace},
		{"data", &b.Data},
		{"version", &b.Version},
		{"updated_at", ts(&b.UpdatedAt)},
	}
}

// stateTable is the states table (its reads and deletes; PutState is its own).
var stateTable = table[launchpad.StateBlob]{
	name: "states", what: "state of workspace", keyField: "Workspace",
	key:  func(b *launchpad.StateBlob) string { return b.Workspace },
	cols: stateColumns,
}

// GetState returns the workspace's Terraform state, or ENOTFOUND.
func (db *DB) GetState(ctx context.Context, workspace string) (*launchpad.StateBlob, error) {
	return stateTable.get(ctx, db, workspace)
}

// PutState stores b.Data for b.Workspace and returns the new version, in one statement at READ
// COMMITTED. With a non-zero b.Version it is an UPDATE … WHERE version = b.Version: of
// concurrent writers at one version the first wins, and the others, re-checking the row after
// it committed, match nothing (ECONFLICT). With version 0 it is an INSERT … ON CONFLICT DO
// UPDATE that bumps whatever version is stored. Data over MaxStateSize is EINVALID.
func (db *DB) PutState(ctx context.Context, b *launchpad.StateBlob) (int64, error) {
	data, err := contract.StateData(b)
	if err != nil {
		return 0, err
	}
	now := db.clock()
	var next int64
	err = db.alone(ctx, func(tx querier) error {
		if b.Version == 0 {
			return tx.QueryRow(ctx, `INSERT INTO states (workspace, data, version, updated_at) VALUES ($1, $2, 1, $3)
				ON CONFLICT (workspace) DO UPDATE SET data = excluded.data, version = states.version + 1, updated_at = excluded.updated_at
				RETURNING version`, b.Workspace, data, now).Scan(&next)
		}
		err := tx.QueryRow(ctx, `UPDATE states SET data = $2, version = version + 1, updated_at = $3
			WHERE workspace = $1 AND version = $4 RETURNING version`, b.Workspace, data, now, b.Version).Scan(&next)
		if !isNoRows(err) {
			return err
		}
		var stored int64
		if err := tx.QueryRow(ctx, `SELECT version FROM states WHERE workspace = $1`, b.Workspace).Scan(&stored); err != nil && !isNoRows(err) {
			return err
		}
		return launchpad.Errorf(launchpad.ECONFLICT, "the Terraform state of workspace %q is at version %d, not %d: it changed since it was read; read it again", b.Workspace, stored, b.Version)
	})
	if err != nil {
		return 0, err
	}
	return next, nil
}

// DeleteState removes the workspace's state, or returns ENOTFOUND.
func (db *DB) DeleteState(ctx context.Context, workspace string) error {
	return stateTable.remove(ctx, db, workspace)
}
