package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// GetUserKey returns the user's key material; ENOTFOUND when there is none.
func (db *DB) GetUserKey(ctx context.Context, userID string) ([]byte, error) {
	var material []byte
	err := db.alone(ctx, func(q querier) (err error) {
		material, err = findUserKey(ctx, q, userID)
		return err
	})
	return material, err
}

// CreateUserKey stores material unless the user has some already, and returns what is
// stored. The user's row is share-locked first, so an EraseUser running beside it either
// deletes the new material too or finds no user left to create it for.
func (db *DB) CreateUserKey(ctx context.Context, userID string, material []byte) ([]byte, error) {
	if err := launchpad.ValidateUserKey(material); err != nil {
		return nil, err
	}
	var out []byte
	err := db.write(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR SHARE`, userID).Scan(&one)
		if isNoRows(err) {
			return launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s to create key material for", launchpad.Clip(userID, 60))
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_keys (user_id, material, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`,
			userID, material, db.clock()); err != nil {
			return err
		}
		out, err = findUserKey(ctx, tx, userID)
		return err
	})
	return out, err
}

// DeleteUserKey deletes the material. PostgreSQL reclaims the dead row's space with VACUUM
// (autovacuum), after which it is gone from the files, as with EraseUser.
func (db *DB) DeleteUserKey(ctx context.Context, userID string) error {
	return db.alone(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `DELETE FROM user_keys WHERE user_id = $1`, userID)
		return err
	})
}

func findUserKey(ctx context.Context, q querier, userID string) ([]byte, error) {
	var material []byte
	err := q.QueryRow(ctx, `SELECT material FROM user_keys WHERE user_id = $1`, userID).Scan(&material)
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no key material", launchpad.Clip(userID, 60))
	}
	return material, err
}
