package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// ListAuditToTrim returns the untrimmed events written before before, oldest first (served by
// the partial index audit_events_untrimmed, so trimmed events cost nothing).
func (db *DB) ListAuditToTrim(ctx context.Context, before time.Time, limit int) ([]*launchpad.AuditEvent, error) {
	return list(ctx, db, scanAudit, selectAudit+` WHERE trimmed = 0 AND time < ? ORDER BY time, log_index LIMIT ?`,
		timeArg(before), contract.ListLimit(limit))
}

// TrimAudit empties and marks the events in one write transaction (the trigger allows this one
// change, once per event).
func (db *DB) TrimAudit(ctx context.Context, ids []string) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE audit_events SET actor = '', target = '', details = '{}', trimmed = 1 WHERE id = ? AND trimmed = 0`, id)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}
