package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A job's log is kept as appended chunks, each with its offset in the whole output, and the
// job row keeps the output's length (log_size). Appending is one UPDATE of log_size and one
// INSERT; when the kept output passes JobLogLimit, the oldest chunks that are not needed to
// keep the last JobLogLimit bytes are deleted.

// AppendJobLog adds p to the log of job id, in one statement: the UPDATE of log_size locks the
// job's row, so concurrent appends (from any replica) queue on it and each writes its chunk at
// the offset the one before it left; chunks that end before the last JobLogLimit bytes are
// deleted on the way (ones committed while this append waited for the lock go with a later
// append: the store may keep more than the limit, never less).
func (db *DB) AppendJobLog(ctx context.Context, id string, p []byte) error {
	if p == nil {
		p = []byte{}
	}
	return db.alone(ctx, func(q querier) error {
		var end int64
		err := q.QueryRow(ctx, `WITH grown AS (
				UPDATE jobs SET log_size = log_size + $2 WHERE id = $1 RETURNING log_size
			), chunk AS (
				INSERT INTO job_log_chunks (job_id, start, data) SELECT $1, log_size - $2, $3 FROM grown WHERE $2 > 0
			), dropped AS (
				DELETE FROM job_log_chunks WHERE job_id = $1 AND start + length(data) <= (SELECT log_size FROM grown) - $4
			)
			SELECT log_size FROM grown`, id, int64(len(p)), p, int64(launchpad.JobLogLimit)).Scan(&end)
		if isNoRows(err) {
			return notFound("job", id)
		}
		return err
	})
}

// ReadJobLog returns the log of job id from offset on (offsets count from the first byte ever
// written; output dropped for the size limit is skipped), in one SELECT (one snapshot) of the
// job joined with its chunks.
func (db *DB) ReadJobLog(ctx context.Context, id string, offset int64) ([]byte, error) {
	var out []byte
	err := db.alone(ctx, func(q querier) error {
		out = []byte{}
		rows, err := q.Query(ctx, `SELECT c.start, c.data FROM jobs AS j
			LEFT JOIN job_log_chunks AS c ON c.job_id = j.id AND c.start + length(c.data) > $2
			WHERE j.id = $1 ORDER BY c.start`, id, max(offset, 0))
		if err != nil {
			return err
		}
		var start *int64 // NULL: the job has no output from offset on
		var data []byte
		n, err := pgx.ForEachRow(rows, []any{&start, &data}, func() error {
			if start == nil {
				return nil
			}
			if skip := offset - *start; skip > 0 {
				data = data[skip:]
			}
			out = append(out, data...)
			return nil
		})
		if err == nil && n.RowsAffected() == 0 {
			return notFound("job", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
