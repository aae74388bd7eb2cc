package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The retention sweeps (launchpad.RetentionStore). Each is one write transaction; after one
// that erased something the write-ahead log is checkpointed and truncated, so the erased
// bytes are neither in the database file (secure_delete zeroes them) nor in the log.

// PurgeStripePayloads empties the payloads of the events received before cutoff.
func (db *DB) PurgeStripePayloads(ctx context.Context, receivedBefore time.Time) (int64, error) {
	return db.purge(ctx, `UPDATE stripe_events SET payload = x'' WHERE received_at < ? AND length(payload) > 0`, receivedBefore)
}

// PurgeJobLogs deletes the logs of the jobs finished before cutoff.
func (db *DB) PurgeJobLogs(ctx context.Context, finishedBefore time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		// Count logs, not chunks: a log is what a user would call one.
		if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT job_id) FROM job_log_chunks
			WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < ?)`, timeArg(finishedBefore)).Scan(&n); err != nil || n == 0 {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM job_log_chunks WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < ?)`, timeArg(finishedBefore))
		return err
	})
	return n, db.afterPurge(ctx, n, err)
}

// PurgeSessions deletes the sessions expired or revoked before cutoff.
func (db *DB) PurgeSessions(ctx context.Context, endedBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1`, endedBefore)
}

// PurgeDevices deletes the devices last seen before cutoff.
func (db *DB) PurgeDevices(ctx context.Context, idleBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM devices WHERE last_seen < ?`, idleBefore)
}

// PurgeSignInCodes deletes the codes expired before cutoff.
func (db *DB) PurgeSignInCodes(ctx context.Context, expiredBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM sign_in_codes WHERE expires_at < ?`, expiredBefore)
}

// purge runs one statement with cutoff as its argument and returns the rows it changed.
func (db *DB) purge(ctx context.Context, query string, cutoff time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, timeArg(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, db.afterPurge(ctx, n, err)
}

// afterPurge checkpoints the write-ahead log into the database file and truncates it once a
// sweep erased n > 0 records: until then the log still holds the pages as they were.
func (db *DB) afterPurge(ctx context.Context, n int64, err error) error {
	if err != nil || n == 0 {
		return err
	}
	return db.Checkpoint(ctx)
}

// Checkpoint copies the write-ahead log into the database file and truncates the log. It
// waits (up to the busy timeout) for readers still using the log; EUNAVAILABLE if one
// outlasts that, and the next sweep's checkpoint finishes the job.
func (db *DB) Checkpoint(ctx context.Context) error {
	var busy, frames, done int64
	if err := db.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return formatError(ctx, err)
	}
	if busy != 0 {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the write-ahead log of %s could not be checkpointed: a reader held it (%d of %d pages copied); the next purge tries again", db.path, done, frames)
	}
	return nil
}
