package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// ListAuditToTrim returns the untrimmed events written before before, oldest first (served by
// the partial index audit_events_untrimmed, so trimmed events cost nothing).
func (db *DB) ListAuditToTrim(ctx context.Context, before time.Time, limit int) ([]*launchpad.AuditEvent, error) {
	var out []*launchpad.AuditEvent
	err := db.alone(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, `SELECT `+auditNames+` FROM audit_events WHERE NOT trimmed AND time < $1 ORDER BY time, log_index LIMIT $2`,
			before, contract.ListLimit(limit))
		if err != nil {
			return err
		}
		out, err = collect(rows, auditColumns)
		return err
	})
	return out, err
}

// TrimAudit empties and marks the events in one transaction (the trigger allows this one
// change, once per event).
func (db *DB) TrimAudit(ctx context.Context, ids []string) (int, error) {
	n := 0
	err := db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE audit_events SET actor = '', target = '', details = '{}'::jsonb, trimmed = true WHERE id = ANY($1) AND NOT trimmed`, ids)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
