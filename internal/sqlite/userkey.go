package sqlite

import (
	"bytes"
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// GetUserKey returns the user's key material; ENOTFOUND when there is none.
func (db *DB) GetUserKey(ctx context.Context, userID string) ([]byte, error) {
	var material []byte
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		material, err = findUserKey(ctx, tx, userID)
		return err
	})
	return material, err
}

// CreateUserKey stores material unless the user has some already, in one write transaction,
// and returns what is stored.
func (db *DB) CreateUserKey(ctx context.Context, userID string, material []byte) ([]byte, error) {
	if err := launchpad.ValidateUserKey(material); err != nil {
		return nil, err
	}
	var out []byte
	err := db.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one)
		if isNoRows(err) {
			return launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s to create key material for", launchpad.Clip(userID, 60))
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_keys (user_id, material, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING`,
			userID, material, timeArg(db.clock())); err != nil {
			return err
		}
		out, err = findUserKey(ctx, tx, userID)
		return err
	})
	return out, err
}

// DeleteUserKey deletes the material, then empties the write-ahead log as EraseUser does, so
// that secure_delete's overwrite is the only version left in the files.
func (db *DB) DeleteUserKey(ctx context.Context, userID string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM user_keys WHERE user_id = ?`, userID)
		return err
	})
	if err != nil {
		return err
	}
	return db.truncateWAL(ctx)
}

func findUserKey(ctx context.Context, tx *sql.Tx, userID string) ([]byte, error) {
	var material []byte
	err := tx.QueryRowContext(ctx, `SELECT material FROM user_keys WHERE user_id = ?`, userID).Scan(&material)
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no key material", launchpad.Clip(userID, 60))
	}
	return bytes.Clone(material), err
}
