package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// GetPlatformKeys returns the store's platform key record, or the zero record when no
// credential has been sealed yet.
func (db *DB) GetPlatformKeys(ctx context.Context) (*launchpad.PlatformKeys, error) {
	var k *launchpad.PlatformKeys
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		k, err = findPlatformKeys(ctx, tx)
		return err
	})
	return k, err
}

// UpdatePlatformKeys applies fn to the record (the zero record if there is none) in one write
// transaction.
func (db *DB) UpdatePlatformKeys(ctx context.Context, fn func(*launchpad.PlatformKeys) error) (*launchpad.PlatformKeys, error) {
	var out *launchpad.PlatformKeys
	err := db.write(ctx, func(tx *sql.Tx) error {
		k, err := findPlatformKeys(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		k.UpdatedAt = db.clock()
		retired, err := json.Marshal(nonNil(k.Retired))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO platform_keys (id, active, next, retired, updated_at) VALUES (1, ?1, ?2, ?3, ?4)
			ON CONFLICT (id) DO UPDATE SET active = ?1, next = ?2, retired = ?3, updated_at = ?4`,
			k.Active, k.Next, string(retired), timeArg(k.UpdatedAt))
		if err != nil {
			return err
		}
		out = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findPlatformKeys(ctx context.Context, tx *sql.Tx) (*launchpad.PlatformKeys, error) {
	k := &launchpad.PlatformKeys{}
	var retired string
	err := tx.QueryRowContext(ctx, `SELECT active, next, retired, updated_at FROM platform_keys WHERE id = 1`).
		Scan(&k.Active, &k.Next, &retired, scanTime(&k.UpdatedAt))
	if isNoRows(err) {
		return &launchpad.PlatformKeys{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(retired), &k.Retired); err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "the platform key record's retired key ids are not a JSON array: %v", err)
	}
	if len(k.Retired) == 0 {
		k.Retired = nil
	}
	return k, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
