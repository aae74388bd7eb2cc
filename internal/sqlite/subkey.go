package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const subKeyColumns = `hash, user_id, plan_name, name, limit_usd, limit_reset,
	include_byok_in_limit, disabled, rotation_generation, created_at, updated_at`

// CreateSubKey stores a new sub-key record. ECONFLICT if the hash is taken.
func (db *DB) CreateSubKey(ctx context.Context, k *launchpad.SubKey) error {
	now := db.clock()
	c := *k
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sub_keys (`+subKeyColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, subKeyArgs(&c)...)
		if uniqueViolation(err) == "sub_keys.hash" {
			return launchpad.Errorf(launchpad.ECONFLICT, "sub-key %q already exists", c.Hash)
		}
		return err
	})
}

// GetSubKey returns the sub-key record with hash, or ENOTFOUND.
func (db *DB) GetSubKey(ctx context.Context, hash string) (*launchpad.SubKey, error) {
	var k *launchpad.SubKey
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		k, err = findSubKey(ctx, tx, hash)
		return err
	})
	if isNoRows(err) {
		return nil, notFound("sub-key", hash)
	}
	return k, err
}

// ListSubKeys returns the sub-key records matching f, ordered by hash.
func (db *DB) ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error) {
	var keys []*launchpad.SubKey
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+subKeyColumns+` FROM sub_keys
			WHERE (?1 = '' OR user_id = ?1) ORDER BY hash`, f.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanSubKey(rows)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}

// UpdateSubKey applies fn to the stored record in one write transaction.
func (db *DB) UpdateSubKey(ctx context.Context, hash string, fn func(*launchpad.SubKey) error) (*launchpad.SubKey, error) {
	var out *launchpad.SubKey
	err := db.write(ctx, func(tx *sql.Tx) error {
		k, err := findSubKey(ctx, tx, hash)
		if isNoRows(err) {
			return notFound("sub-key", hash)
		} else if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		if k.Hash != hash {
			return keyChanged("sub-key", "Hash", hash, k.Hash)
		}
		k.UpdatedAt = db.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE sub_keys SET user_id = ?2, plan_name = ?3, name = ?4,
			limit_usd = ?5, limit_reset = ?6, include_byok_in_limit = ?7, disabled = ?8,
			rotation_generation = ?9, created_at = ?10, updated_at = ?11 WHERE hash = ?1`,
			subKeyArgs(k)...); err != nil {
			return err
		}
		out, err = findSubKey(ctx, tx, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSubKey removes the record, or returns ENOTFOUND.
func (db *DB) DeleteSubKey(ctx context.Context, hash string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM sub_keys WHERE hash = ?`, hash, "sub-key")
	})
}

func findSubKey(ctx context.Context, tx *sql.Tx, hash string) (*launchpad.SubKey, error) {
	return scanSubKey(tx.QueryRowContext(ctx, `SELECT `+subKeyColumns+` FROM sub_keys WHERE hash = ?`, hash))
}

func scanSubKey(row scanner) (*launchpad.SubKey, error) {
	var k launchpad.SubKey
	err := row.Scan(&k.Hash, &k.UserID, &k.Plan, &k.Name, &k.LimitUSD, &k.LimitReset,
		&k.IncludeBYOKInLimit, &k.Disabled, &k.RotationGeneration,
		scanTime(&k.CreatedAt), scanTime(&k.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func subKeyArgs(k *launchpad.SubKey) []any {
	return []any{k.Hash, k.UserID, k.Plan, k.Name, k.LimitUSD, k.LimitReset,
		k.IncludeBYOKInLimit, k.Disabled, k.RotationGeneration,
		timeArg(k.CreatedAt), timeArg(k.UpdatedAt)}
}
