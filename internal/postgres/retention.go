package postgres

import (
	"context"
	"time"
)

// The retention sweeps (launchpad.RetentionStore): each is one statement, atomic on its own,
// so replicas sweeping at once each count only the rows they changed. PostgreSQL reclaims the
// space of deleted rows at its next (auto)vacuum.

// PurgeStripePayloads empties the payloads of the events received before cutoff.
func (db *DB) PurgeStripePayloads(ctx context.Context, receivedBefore time.Time) (int64, error) {
	return db.purge(ctx, `UPDATE stripe_events SET payload = '' WHERE received_at < $1 AND length(payload) > 0`, receivedBefore)
}

// PurgeJobLogs deletes the logs of the jobs finished before cutoff.
func (db *DB) PurgeJobLogs(ctx context.Context, finishedBefore time.Time) (int64, error) {
	var n int64
	err := db.alone(ctx, func(q querier) error {
		// Count logs, not chunks: a log is what a user would call one.
		return q.QueryRow(ctx, `WITH gone AS (
				DELETE FROM job_log_chunks WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < $1) RETURNING job_id
			) SELECT count(DISTINCT job_id) FROM gone`, finishedBefore.UTC()).Scan(&n)
	})
	return n, err
}

// PurgeSessions deletes the sessions expired or revoked before cutoff.
func (db *DB) PurgeSessions(ctx context.Context, endedBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, endedBefore)
}

// PurgeDevices deletes the devices last seen before cutoff.
func (db *DB) PurgeDevices(ctx context.Context, idleBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM devices WHERE last_seen < $1`, idleBefore)
}

// PurgeSignInCodes deletes the codes expired before cutoff.
func (db *DB) PurgeSignInCodes(ctx context.Context, expiredBefore time.Time) (int64, error) {
	return db.purge(ctx, `DELETE FROM sign_in_codes WHERE expires_at < $1`, expiredBefore)
}

// purge runs one statement with cutoff as $1 and returns the rows it changed.
func (db *DB) purge(ctx context.Context, sql string, cutoff time.Time) (int64, error) {
	var n int64
	err := db.alone(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, sql, cutoff.UTC())
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
