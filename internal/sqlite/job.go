package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// jobColumns lists the table's columns for a record (internal/store/tables).
var jobColumns = fromTable(tables.Job)

var (
	selectJobs  = jobColumns(&launchpad.Job{}).selectFrom("jobs")
	scanJob     = scanWith(jobColumns)
	selectJobsJ = jobColumns(&launchpad.Job{}).selectFrom("jobs AS j") // for queries that compare jobs with others
)

// EnqueueJob stores j as queued and returns it; with j.Supersede, queued jobs of the same
// Kind and Key become superseded in the same transaction.
func (db *DB) EnqueueJob(ctx context.Context, j *launchpad.Job) (*launchpad.Job, error) {
	var out *launchpad.Job
	err := db.write(ctx, func(tx *sql.Tx) (err error) {
		out, err = enqueueJob(ctx, tx, j, db.clock())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// enqueueJob stores a copy of j as a new queued job within tx.
func enqueueJob(ctx context.Context, tx *sql.Tx, j *launchpad.Job, now time.Time) (*launchpad.Job, error) {
	c, err := contract.QueuedJob(j, now)
	if err != nil {
		return nil, err
	}
	if c.Payload == nil {
		c.Payload = []byte{}
	}
	if c.Supersede && c.Key != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'superseded', finished_at = ?
			WHERE kind = ? AND job_key = ? AND status = 'queued'`, timeArg(now), c.Kind, c.Key); err != nil {
			return nil, err
		}
	}
	query, args := jobColumns(c).insert("jobs")
	_, err = tx.ExecContext(ctx, query, args...)
	if uniqueViolation(err) == "jobs.id" {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "job %q already exists", c.ID)
	} else if err != nil {
		return nil, err
	}
	return findJob(ctx, tx, c.ID)
}

// ClaimJob takes the oldest runnable job of the given kinds for c.Worker, in one write
// transaction. Expired jobs without attempts left are marked failed on the way.
func (db *DB) ClaimJob(ctx context.Context, c launchpad.JobClaim) (*launchpad.Job, error) {
	if c.Worker == "" || c.Lease <= 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job claim needs a worker name and a positive lease (got worker %q, lease %s)", c.Worker, c.Lease)
	}
	kinds, err := json.Marshal(c.Kinds)
	if err != nil {
		return nil, err
	}
	now := db.orNow(c.Now)
	var out *launchpad.Job
	err = db.write(ctx, func(tx *sql.Tx) error {
		for {
			j, err := findRunnableJob(ctx, tx, string(kinds), len(c.Kinds), now)
			if isNoRows(err) {
				return nil // commit the jobs marked failed on the way
			} else if err != nil {
				return err
			}
			if j.Attempts >= j.MaxAttempts {
				// Its worker died during the last attempt it had.
				msg := fmt.Sprintf("the lease expired during attempt %d of %d (the worker stopped heartbeating)", j.Attempts, j.MaxAttempts)
				if j.Error != "" {
					msg += "; last error: " + j.Error
				}
				if _, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'failed', finished_at = ?, lease_expires_at = NULL, error = ?
					WHERE id = ?`, timeArg(now), msg, j.ID); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'running', lease_owner = ?,
				lease_expires_at = ?, attempts = attempts + 1, started_at = ? WHERE id = ?`,
				c.Worker, timeArg(now.Add(c.Lease)), timeArg(now), j.ID); err != nil {
				return err
			}
			out, err = findJob(ctx, tx, j.ID)
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no runnable job")
	}
	return out, nil
}

// findRunnableJob returns the oldest job that is queued and due, or running with an expired
// lease, of one of kinds (a JSON array; nKinds = 0 means any kind), unless another job with
// the same non-empty key holds a live lease.
func findRunnableJob(ctx context.Context, tx *sql.Tx, kinds string, nKinds int, now time.Time) (*launchpad.Job, error) {
	return scanJob(tx.QueryRowContext(ctx, selectJobsJ+`
		WHERE j.status IN ('queued', 'running')
		  AND ((j.status = 'queued' AND j.run_after <= :now) OR (j.status = 'running' AND j.lease_expires_at <= :now))
		  AND (:n_kinds = 0 OR j.kind IN (SELECT value FROM json_each(:kinds)))
		  AND (j.job_key = '' OR NOT EXISTS (
		        SELECT 1 FROM jobs AS o
		        WHERE o.job_key = j.job_key AND o.id <> j.id AND o.status = 'running' AND o.lease_expires_at > :now))
		ORDER BY j.created_at, j.id
		LIMIT 1`, sql.Named("kinds", kinds), sql.Named("n_kinds", nKinds), sql.Named("now", now.UnixMicro())))
}

// HeartbeatJob extends the lease of a job worker still holds to now+lease.
func (db *DB) HeartbeatJob(ctx context.Context, id, worker string, lease time.Duration, now time.Time) error {
	if lease <= 0 {
		return launchpad.Errorf(launchpad.EINVALID, "a heartbeat needs a positive lease, not %s", lease)
	}
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := findHeldJob(ctx, tx, id, worker); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_expires_at = ? WHERE id = ?`, timeArg(now.Add(lease)), id)
		return err
	})
}

// FinishJob records the outcome of a job worker holds.
func (db *DB) FinishJob(ctx context.Context, id, worker string, r launchpad.JobResult, now time.Time) (*launchpad.Job, error) {
	if r.Status != launchpad.JobSucceeded && r.Status != launchpad.JobFailed {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job finishes as %q or %q, not %q", launchpad.JobSucceeded, launchpad.JobFailed, r.Status)
	}
	now = db.orNow(now)
	var out *launchpad.Job
	err := db.write(ctx, func(tx *sql.Tx) error {
		j, err := findHeldJob(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		set := columns{
			{name: "id", arg: id},
			{name: "lease_expires_at", arg: nil},
			{name: "error", arg: r.Error},
			{name: "summary_add", arg: r.Summary.Add},
			{name: "summary_change", arg: r.Summary.Change},
			{name: "summary_destroy", arg: r.Summary.Destroy},
		}
		if retry := r.Status == launchpad.JobFailed && !r.RetryAt.IsZero() && j.Attempts < j.MaxAttempts; retry {
			set = append(set, column{name: "status", arg: launchpad.JobQueued}, column{name: "run_after", arg: timeArg(r.RetryAt)},
				column{name: "lease_owner", arg: ""})
		} else {
			set = append(set, column{name: "status", arg: r.Status}, column{name: "finished_at", arg: timeArg(now)})
		}
		query, args := set.update("jobs", "id")
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		out, err = findJob(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// findHeldJob returns job id if it is running under worker: ENOTFOUND if there is no such
// job, ECONFLICT if another worker took it over or it is no longer running.
func findHeldJob(ctx context.Context, tx *sql.Tx, id, worker string) (*launchpad.Job, error) {
	j, err := findJob(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if j.Status != launchpad.JobRunning || j.LeaseOwner != worker {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "job %s is no longer held by worker %q (it is %s, leased to %q): its lease was lost, so stop working on it", id, worker, j.Status, j.LeaseOwner)
	}
	return j, nil
}

// GetJob returns the job with id, or ENOTFOUND.
func (db *DB) GetJob(ctx context.Context, id string) (*launchpad.Job, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.Job, error) {
		return findJob(ctx, tx, id)
	})
}

// ListJobs returns the jobs matching f, newest first.
func (db *DB) ListJobs(ctx context.Context, f launchpad.JobFilter) ([]*launchpad.Job, error) {
	return list(ctx, db, scanJob, selectJobs+`
			WHERE (:kind = '' OR kind = :kind) AND (:key = '' OR job_key = :key) AND (:status = '' OR status = :status)
			ORDER BY created_at DESC, id DESC LIMIT :limit`,
		sql.Named("kind", f.Kind), sql.Named("key", f.Key), sql.Named("status", f.Status), sql.Named("limit", contract.ListLimit(f.Limit)))
}

// findJob returns job id, or ENOTFOUND.
func findJob(ctx context.Context, tx *sql.Tx, id string) (*launchpad.Job, error) {
	j, err := scanJob(tx.QueryRowContext(ctx, selectJobs+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("job", id)
	}
	return j, err
}
