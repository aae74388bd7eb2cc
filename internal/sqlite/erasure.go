package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// EraseUser deletes every record that names the user in one write transaction, then
// checkpoints the write-ahead log and truncates it: with secure_delete on (dsn), the deleted
// rows are overwritten in the database file, and the log, which still held copies of the
// pages, is emptied.
func (db *DB) EraseUser(ctx context.Context, e launchpad.UserErasure) error {
	if err := launchpad.ValidateUserID(e.UserID); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		stmts := []statement{
			{`DELETE FROM jobs WHERE (job_key = ? OR instr(payload, ?) > 0) AND id <> ?`, []any{e.UserID, []byte(launchpad.JSONString(e.UserID)), e.KeepJobID}},
		}
		for _, rows := range contract.UserRows(e) {
			stmts = append(stmts, statement{`DELETE FROM ` + rows.Table + ` WHERE ` + rows.Column + ` = ?`, []any{rows.Value}})
		}
		for _, m := range e.Mentions() {
			stmts = append(stmts, statement{`UPDATE stripe_events SET payload = X'' WHERE instr(payload, ?) > 0`, []any{[]byte(m)}})
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.truncateWAL(ctx)
}

// PseudonymiseJob replaces job id's key and payload; the old bytes are overwritten in the
// database file (secure_delete) and the write-ahead log is truncated.
func (db *DB) PseudonymiseJob(ctx context.Context, id, key string, payload []byte) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET job_key = ?, payload = ? WHERE id = ?`, key, payload, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = launchpad.Errorf(launchpad.ENOTFOUND, "there is no job %s", launchpad.Clip(id, 100))
		}
		return err
	})
	if err != nil {
		return err
	}
	return db.truncateWAL(ctx)
}

// statement is one SQL statement and its arguments.
type statement struct {
	query string
	args  []any
}

// truncateWAL copies the write-ahead log into the database and truncates it to zero bytes, so
// that no earlier version of an overwritten page stays in the log file. It waits for readers
// (the busy timeout); a checkpoint that could not complete is EUNAVAILABLE, and the caller
// retries.
func (db *DB) truncateWAL(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	if err := db.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return formatError(ctx, err)
	}
	if busy != 0 {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the SQLite write-ahead log could not be truncated because readers held it; try again")
	}
	return nil
}

// PseudonymiseAudit rewrites the stream's events in place (the triggers allow this one change,
// once per event), in one write transaction.
func (db *DB) PseudonymiseAudit(ctx context.Context, stream string, fn func(*launchpad.AuditEvent)) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		n = 0
		events, err := listTx(ctx, tx, scanAudit, selectAudit+` WHERE stream = ? ORDER BY seq`, stream)
		if err != nil {
			return err
		}
		n, err = contract.PseudonymiseEach(events, fn, func(c *launchpad.AuditEvent) error {
			details, err := json.Marshal(c.Details)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE audit_events SET stream = ?, actor = ?, target = ?, details = ?, pseudonymised = 1 WHERE id = ?`,
				c.Stream, c.Actor, c.Target, string(details), c.ID)
			return err
		})
		return err
	})
	return n, err
}
