package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// subKeyColumns lists the table's columns for a record (internal/store/tables).
var subKeyColumns = fromTable(tables.SubKey)

// subKeyTable is the sub_keys table.
var subKeyTable = table[launchpad.SubKey]{
	name: "sub_keys", what: "sub-key", keyColumn: "hash", keyField: "Hash",
	key:     func(k *launchpad.SubKey) string { return k.Hash },
	written: plain(subKeyColumns),
	read:    scanWith(subKeyColumns),
	selects: subKeyColumns(&launchpad.SubKey{}).selectFrom("sub_keys"),
	times:   func(k *launchpad.SubKey) (*time.Time, *time.Time) { return &k.CreatedAt, &k.UpdatedAt },
}

// CreateSubKey stores a new sub-key record. ECONFLICT if the hash is taken.
func (db *DB) CreateSubKey(ctx context.Context, k *launchpad.SubKey) error {
	return subKeyTable.create(ctx, db, k)
}

// GetSubKey returns the sub-key record with hash, or ENOTFOUND.
func (db *DB) GetSubKey(ctx context.Context, hash string) (*launchpad.SubKey, error) {
	return subKeyTable.get(ctx, db, hash)
}

// ListSubKeys returns the sub-key records matching f, ordered by hash.
func (db *DB) ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error) {
	return subKeyTable.list(ctx, db, `WHERE (:user_id = '' OR user_id = :user_id) ORDER BY hash`, sql.Named("user_id", f.UserID))
}

// UpdateSubKey applies fn to the stored record in one write transaction.
func (db *DB) UpdateSubKey(ctx context.Context, hash string, fn func(*launchpad.SubKey) error) (*launchpad.SubKey, error) {
	return subKeyTable.update(ctx, db, hash, fn)
}

// DeleteSubKey removes the record, or returns ENOTFOUND.
func (db *DB) DeleteSubKey(ctx context.Context, hash string) error {
	return subKeyTable.remove(ctx, db, hash)
}
