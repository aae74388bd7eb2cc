package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// platformKeyColumns are the columns of the one platform_keys row.
func platformKeyColumns(k *launchpad.PlatformKeys) columns {
	return columns{
		{"active", &k.Active},
		{"next", &k.Next},
		{"retired", &k.Retired},
		{"updated_at", ts(&k.UpdatedAt)},
	}
}

// GetPlatformKeys returns the store's platform key record, or the zero record when no
// credential has been sealed yet.
func (db *DB) GetPlatformKeys(ctx context.Context) (*launchpad.PlatformKeys, error) {
	var k *launchpad.PlatformKeys
	err := db.alone(ctx, func(q querier) (err error) {
		k, err = findPlatformKeys(ctx, q, "")
		return err
	})
	return k, err
}

// UpdatePlatformKeys applies fn to the record (the zero record if there is none) in one
// transaction. The row is created first (empty, which reads as the zero record) so that
// concurrent updates queue on its row lock even before the first seal; if fn fails, the
// rollback takes the empty row away again.
func (db *DB) UpdatePlatformKeys(ctx context.Context, fn func(*launchpad.PlatformKeys) error) (*launchpad.PlatformKeys, error) {
	var out *launchpad.PlatformKeys
	err := db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO platform_keys (id, active, next) VALUES (1, '', '') ON CONFLICT (id) DO NOTHING`); err != nil {
			return err
		}
		k, err := findPlatformKeys(ctx, tx, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		k.UpdatedAt = db.clock()
		if k.Retired == nil {
			k.Retired = []string{}
		}
		cols := platformKeyColumns(k)
		if _, err := tx.Exec(ctx, `UPDATE platform_keys SET active = $1, next = $2, retired = $3, updated_at = $4 WHERE id = 1`, cols.refs()...); err != nil {
			return err
		}
		if len(k.Retired) == 0 {
			k.Retired = nil
		}
		out = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// findPlatformKeys reads the record; lock is "" or a locking clause such as "FOR UPDATE".
func findPlatformKeys(ctx context.Context, q querier, lock string) (*launchpad.PlatformKeys, error) {
	k := &launchpad.PlatformKeys{}
	cols := platformKeyColumns(k)
	err := q.QueryRow(ctx, `SELECT `+cols.names()+` FROM platform_keys WHERE id = 1 `+lock).Scan(cols.refs()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return &launchpad.PlatformKeys{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(k.Retired) == 0 {
		k.Retired = nil
	}
	return k, nil
}
