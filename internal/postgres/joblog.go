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

// AppendJobLog adds p to the log of job id. READ COMMITTED: the UPDATE of log_size locks the
// job's row, so concurrent appends (from any replica) queue on it, each gets the offset the one
// before it left, and no chunk overlaps another.
func (db *DB) AppendJobLog(ctx context.Context, id string, p []byte) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var end int64
		err := tx.QueryRow(ctx, `UPDATE jobs SET log_size = log_size + $2 WHERE id = $1 RETURNING log_size`, id, int64(len(p))).Scan(&end)
		if isNoRows(err) {
			return notFound("job", id)
		} else if err != nil || len(p) == 0 {
			return err
		}
		start := end - int64(len(p))
		if _, err := tx.Exec(ctx, `INSERT INTO job_log_chunks (job_id, start, data) VALUES ($1, $2, $3)`, id, start, p); err != nil {
			return err
		}
		// Drop every chunk that ends at or before the start of the last JobLogLimit bytes.
		_, err = tx.Exec(ctx, `DELETE FROM job_log_chunks WHERE job_id = $1 AND start + length(data) <= $2`, id, end-launchpad.JobLogLimit)
		return err
	})
}

// ReadJobLog returns the log of job id from offset on (offsets count from the first byte ever
// written; output dropped for the size limit is skipped), read in one snapshot.
func (db *DB) ReadJobLog(ctx context.Context, id string, offset int64) ([]byte, error) {
	var out []byte
	err := db.read(ctx, func(tx pgx.Tx) error {
		out = []byte{}
		var size int64
		if err := tx.QueryRow(ctx, `SELECT log_size FROM jobs WHERE id = $1`, id).Scan(&size); isNoRows(err) {
			return notFound("job", id)
		} else if err != nil || offset >= size {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT start, data FROM job_log_chunks
			WHERE job_id = $1 AND start + length(data) > $2 ORDER BY start`, id, max(offset, 0))
		if err != nil {
			return err
		}
		var start int64
		var data []byte
		_, err = pgx.ForEachRow(rows, []any{&start, &data}, func() error {
			if skip := offset - start; skip > 0 {
				data = data[skip:]
			}
			out = append(out, data...)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
