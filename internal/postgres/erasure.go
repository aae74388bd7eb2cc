package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// EraseUser deletes every record that names the user in one transaction. PostgreSQL reclaims
// the dead rows' space with VACUUM (autovacuum), after which they are gone from the files.
func (db *DB) EraseUser(ctx context.Context, e launchpad.UserErasure) error {
	if err := launchpad.ValidateUserID(e.UserID); err != nil {
		return err
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		stmts := []statement{
			{`DELETE FROM jobs WHERE (job_key = $1 OR position($2::bytea IN payload) > 0) AND id <> $3`, []any{e.UserID, []byte(launchpad.JSONString(e.UserID)), e.KeepJobID}},
		}
		for _, rows := range contract.UserRows(e) {
			stmts = append(stmts, statement{`DELETE FROM ` + rows.Table + ` WHERE ` + rows.Column + ` = $1`, []any{rows.Value}})
		}
		for _, m := range e.Mentions() {
			stmts = append(stmts, statement{`UPDATE stripe_events SET payload = ''::bytea WHERE position($1::bytea IN payload) > 0`, []any{[]byte(m)}})
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s.query, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// PseudonymiseJob replaces job id's key and payload.
func (db *DB) PseudonymiseJob(ctx context.Context, id, key string, payload []byte) error {
	return db.alone(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE jobs SET job_key = $2, payload = $3 WHERE id = $1`, id, key, payload)
		if err == nil && tag.RowsAffected() == 0 {
			err = launchpad.Errorf(launchpad.ENOTFOUND, "there is no job %s", launchpad.Clip(id, 100))
		}
		return err
	})
}

// statement is one SQL statement and its arguments.
type statement struct {
	query string
	args  []any
}

// PseudonymiseAudit rewrites the stream's events in place (the trigger allows this one change,
// once per event) under the log's lock, so no append to the stream interleaves.
func (db *DB) PseudonymiseAudit(ctx context.Context, stream string, fn func(*launchpad.AuditEvent)) (int, error) {
	n := 0
	err := db.write(ctx, func(tx pgx.Tx) error {
		n = 0
		if err := db.lockAuditLog(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+auditNames+` FROM audit_events WHERE stream = $1 ORDER BY seq`, stream)
		if err != nil {
			return err
		}
		events, err := collect(rows, auditColumns)
		if err != nil {
			return err
		}
		n, err = contract.PseudonymiseEach(events, fn, func(c *launchpad.AuditEvent) error {
			details, err := textMap("audit details", c.Details)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE audit_events SET stream = $1, actor = $2, target = $3, details = $4, pseudonymised = true WHERE id = $5`,
				c.Stream, c.Actor, c.Target, details, c.ID)
			return err
		})
		return err
	})
	return n, err
}
