package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// subKeyColumns lists the sub_keys table's columns for k.
func subKeyColumns(k *launchpad.SubKey) columns {
	return columns{
		{"hash", k.Hash, &k.Hash},
		{"user_id", k.UserID, &k.UserID},
		{"plan_name", k.Plan, &k.Plan},
		{"name", k.Name, &k.Name},
		{"limit_usd", k.LimitUSD, &k.LimitUSD},
		{"limit_reset", k.LimitReset, &k.LimitReset},
		{"include_byok_in_limit", k.IncludeBYOKInLimit, &k.IncludeBYOKInLimit},
		{"disabled", k.Disabled, &k.Disabled},
		{"rotation_generation", k.RotationGeneration, &k.RotationGeneration},
		{"created_at", timeArg(k.CreatedAt), scanTime(&k.CreatedAt)},
		{"updated_at", timeArg(k.UpdatedAt), scanTime(&k.UpdatedAt)},
	}
}

var selectSubKeys = subKeyColumns(&launchpad.SubKey{}).selectFrom("sub_keys")

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
		query, args := subKeyColumns(&c).insert("sub_keys")
		_, err := tx.ExecContext(ctx, query, args...)
		if uniqueViolation(err) == "sub_keys.hash" {
			return launchpad.Errorf(launchpad.ECONFLICT, "sub-key %q already exists", c.Hash)
		}
		return err
	})
}

// GetSubKey returns the sub-key record with hash, or ENOTFOUND.
func (db *DB) GetSubKey(ctx context.Context, hash string) (*launchpad.SubKey, error) {
	k, err := get(ctx, db, func(tx *sql.Tx) (*launchpad.SubKey, error) {
		return findSubKey(ctx, tx, hash)
	})
	if isNoRows(err) {
		return nil, notFound("sub-key", hash)
	}
	return k, err
}

// ListSubKeys returns the sub-key records matching f, ordered by hash.
func (db *DB) ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error) {
	return list(ctx, db, scanSubKey, selectSubKeys+`
			WHERE (:user_id = '' OR user_id = :user_id) ORDER BY hash`, sql.Named("user_id", f.UserID))
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
		query, args := subKeyColumns(k).update("sub_keys", "hash")
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
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
	return scanSubKey(tx.QueryRowContext(ctx, selectSubKeys+` WHERE hash = ?`, hash))
}

func scanSubKey(row scanner) (*launchpad.SubKey, error) {
	var k launchpad.SubKey
	if err := row.Scan(subKeyColumns(&k).dests()...); err != nil {
		return nil, err
	}
	return &k, nil
}
