package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A job's log is kept as appended chunks, each with its offset in the whole output. Appending
// is one INSERT (no rewrite of earlier output), and when the kept output passes JobLogLimit the
// oldest chunks that are not needed to keep the last JobLogLimit bytes are dropped.

// AppendJobLog adds p to the log of job id.
func (db *DB) AppendJobLog(ctx context.Context, id string, p []byte) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := findJob(ctx, tx, id); err != nil {
			return err
		}
		if len(p) == 0 {
			return nil
		}
		var end int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(start + length(data)), 0) FROM job_log_chunks WHERE job_id = ?`, id).Scan(&end); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_log_chunks (job_id, start, data) VALUES (?, ?, ?)`, id, end, p); err != nil {
			return err
		}
		// Drop every chunk that ends at or before the start of the last JobLogLimit bytes.
		_, err := tx.ExecContext(ctx, `DELETE FROM job_log_chunks WHERE job_id = ? AND start + length(data) <= ?`,
			id, end+int64(len(p))-launchpad.JobLogLimit)
		return err
	})
}

// ReadJobLog returns the log of job id from offset on (offsets count from the first byte ever
// written; output dropped for the size limit is skipped).
func (db *DB) ReadJobLog(ctx context.Context, id string, offset int64) ([]byte, error) {
	out := []byte{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		if _, err := findJob(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT start, data FROM job_log_chunks
			WHERE job_id = ? AND start + length(data) > ? ORDER BY start`, id, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var start int64
			var data []byte
			if err := rows.Scan(&start, &data); err != nil {
				return err
			}
			if skip := offset - start; skip > 0 {
				data = data[skip:]
			}
			out = append(out, data...)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
