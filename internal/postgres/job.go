package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// jobColumns lists the table's columns for a record (internal/store/tables).
var jobColumns = fromTable(tables.Job)

// jobTable is the jobs table (its reads; the queue's writes are below).
var jobTable = table[launchpad.Job]{
	name: "jobs", what: "job", keyField: "ID",
	key:  func(j *launchpad.Job) string { return j.ID },
	cols: jobColumns,
}

// jobNames is the column list of jobs.
var jobNames = jobColumns(&launchpad.Job{}).names()

// EnqueueJob stores j as queued and returns it; with j.Supersede, queued jobs of the same
// Kind and Key become superseded in the same transaction (READ COMMITTED: a job another
// transaction claims meanwhile is running, no longer queued, and stays so). Idle workers of
// every replica are notified when the transaction commits.
func (db *DB) EnqueueJob(ctx context.Context, j *launchpad.Job) (*launchpad.Job, error) {
	var out *launchpad.Job
	err := db.write(ctx, func(tx pgx.Tx) (err error) {
		out, err = db.enqueueJob(ctx, tx, j, db.clock())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// enqueueJob stores a copy of j as a new queued job within tx and notifies the job's kind on
// the queue's channel (PostgreSQL delivers it only if tx commits).
func (db *DB) enqueueJob(ctx context.Context, tx pgx.Tx, j *launchpad.Job, now time.Time) (*launchpad.Job, error) {
	in := *j
	in.CreatedAt, in.RunAfter = db.stored(in.CreatedAt), db.stored(in.RunAfter)
	c, err := contract.QueuedJob(&in, now)
	if err != nil {
		return nil, err
	}
	if c.Payload == nil {
		c.Payload = []byte{}
	}
	c.Summary = launchpad.PlanSummary{}
	if c.Supersede && c.Key != "" {
		if _, err := tx.Exec(ctx, `UPDATE jobs SET status = 'superseded', finished_at = $1
			WHERE kind = $2 AND job_key = $3 AND status = 'queued'`, now, c.Kind, c.Key); err != nil {
			return nil, err
		}
	}
	q, args := jobColumns(c).insert("jobs")
	out := &launchpad.Job{}
	err = tx.QueryRow(ctx, q+` RETURNING `+jobNames, args...).Scan(jobColumns(out).refs()...)
	if violated(err) == "jobs_pkey" {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "job %q already exists", launchpad.Clip(c.ID, 200))
	} else if err != nil {
		return nil, err
	}
	// Every replica's idle workers of this kind wake when tx commits (and only if it does).
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, db.conn.channel, c.Kind); err != nil {
		return nil, err
	}
	return out, nil
}

// qualified prefixes each column of a list with its table: "t.a, t.b".
func qualified(table, names string) string {
	cols := strings.Split(names, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// stored returns t as it is stored; a zero t stays zero.
func (db *DB) stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return db.orNow(t)
}

// ClaimJob takes the oldest runnable job of the given kinds for c.Worker.
//
// It is two statements, each atomic on its own at READ COMMITTED (the second needs no
// transaction around it, and the first none around both):
//  1. rescue: every running job whose lease expired (its worker died) goes back to the queue
//     with its attempts counted, or fails when it had no attempt left — rows another
//     transaction holds are skipped (SKIP LOCKED), since that one is finishing or rescuing
//     them itself;
//  2. claim: in one UPDATE, the oldest queued, due job of these kinds whose key no other job
//     holds with a live lease — locked FOR UPDATE SKIP LOCKED, so concurrent claimers each
//     take a different candidate instead of queueing on one, which is what lets many workers
//     share the queue — becomes running, leased to the worker.
//
// Two claimers may pick two jobs of one key from the same snapshot; the partial unique index
// jobs_one_running_per_key lets only one of them become running, and the other's claim fails
// with ECONFLICT (the interface allows a claimer that lost a race to see it; the queue then
// tries again at once).
func (db *DB) ClaimJob(ctx context.Context, c launchpad.JobClaim) (*launchpad.Job, error) {
	if c.Worker == "" || c.Lease <= 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job claim needs a worker name and a positive lease (got worker %q, lease %s)", c.Worker, c.Lease)
	}
	kinds := c.Kinds
	if kinds == nil {
		kinds = []string{}
	}
	now := db.orNow(c.Now)
	if err := db.alone(ctx, func(q querier) error { return rescueExpired(ctx, q, now) }); err != nil {
		return nil, err
	}
	var out *launchpad.Job
	err := db.alone(ctx, func(q querier) error {
		out = &launchpad.Job{}
		err := q.QueryRow(ctx, `WITH next AS (
				SELECT j.id FROM jobs AS j
				WHERE j.status = 'queued' AND j.run_after <= $1
				  AND (cardinality($2::text[]) = 0 OR j.kind = ANY ($2))
				  AND (j.job_key = '' OR NOT EXISTS (
				        SELECT 1 FROM jobs AS o
				        WHERE o.job_key = j.job_key AND o.status = 'running' AND o.lease_expires_at > $1))
				ORDER BY j.created_at, j.id
				LIMIT 1
				FOR UPDATE SKIP LOCKED)
			UPDATE jobs SET status = 'running', lease_owner = $3, lease_expires_at = $4, attempts = attempts + 1, started_at = $1
			FROM next WHERE jobs.id = next.id
			RETURNING `+qualified("jobs", jobNames), now, kinds, c.Worker, now.Add(c.Lease)).Scan(jobColumns(out).refs()...)
		switch {
		case isNoRows(err):
			out = nil
			return nil
		case violated(err) == "jobs_one_running_per_key":
			return launchpad.Errorf(launchpad.ECONFLICT, "another worker claimed a job of the same key at the same moment; claim again")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no runnable job")
	}
	return out, nil
}

// rescueExpired puts back in the queue the running jobs whose lease expired at now — their
// worker died — with their attempts and last error kept, and fails those that had no attempt
// left. The index jobs_leases finds them without reading the queue.
func rescueExpired(ctx context.Context, q querier, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE jobs SET
			status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
			finished_at = CASE WHEN attempts >= max_attempts THEN $1 END,
			error = CASE WHEN attempts >= max_attempts THEN 'the lease expired during attempt ' || attempts || ' of ' || max_attempts ||
				' (the worker stopped heartbeating)' || CASE WHEN error <> '' THEN '; last error: ' || error ELSE '' END ELSE error END,
			lease_owner = '', lease_expires_at = NULL
		WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at <= $1 FOR UPDATE SKIP LOCKED)`, now)
	return err
}

// HeartbeatJob extends the lease of a job worker still holds to now+lease: one UPDATE that
// checks the holder, so a lease another worker took over is never extended.
func (db *DB) HeartbeatJob(ctx context.Context, id, worker string, lease time.Duration, now time.Time) error {
	if lease <= 0 {
		return launchpad.Errorf(launchpad.EINVALID, "a heartbeat needs a positive lease, not %s", lease)
	}
	now = db.orNow(now)
	return db.alone(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE jobs SET lease_expires_at = $3
			WHERE id = $1 AND status = 'running' AND lease_owner = $2`, id, worker, now.Add(lease))
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		return lostLease(ctx, q, id, worker)
	})
}

// FinishJob records the outcome of a job worker holds, in one statement: an UPDATE that checks
// the holder (a finish and a reclaim of the same job queue on its row; only the holder's
// counts) and, when the job frees its key for a queued job, a NOTIFY delivered as it commits. A
// failed job with attempts left and a RetryAt goes back to the queue.
func (db *DB) FinishJob(ctx context.Context, id, worker string, r launchpad.JobResult, now time.Time) (*launchpad.Job, error) {
	if r.Status != launchpad.JobSucceeded && r.Status != launchpad.JobFailed {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job finishes as %q or %q, not %q", launchpad.JobSucceeded, launchpad.JobFailed, r.Status)
	}
	now = db.orNow(now)
	retry := r.Status == launchpad.JobFailed && !r.RetryAt.IsZero()
	retryAt := db.stored(r.RetryAt)
	var out *launchpad.Job
	err := db.alone(ctx, func(q querier) error {
		out = &launchpad.Job{}
		var woke int64
		err := q.QueryRow(ctx, `WITH done AS (
				UPDATE jobs SET
					status = CASE WHEN $3 AND attempts < max_attempts THEN 'queued' ELSE $4 END,
					run_after = CASE WHEN $3 AND attempts < max_attempts THEN $5 ELSE run_after END,
					lease_owner = CASE WHEN $3 AND attempts < max_attempts THEN '' ELSE lease_owner END,
					finished_at = CASE WHEN $3 AND attempts < max_attempts THEN finished_at ELSE $6 END,
					lease_expires_at = NULL, error = $7, summary_add = $8, summary_change = $9, summary_destroy = $10
				WHERE id = $1 AND status = 'running' AND lease_owner = $2
				RETURNING jobs.*)
			SELECT `+jobNames+`,
				-- A queued job of the same key may run now: wake the idle workers.
				(SELECT count(*) FROM (SELECT pg_notify($11, '') WHERE job_key <> ''
					AND EXISTS (SELECT 1 FROM jobs AS q WHERE q.job_key = done.job_key AND q.status = 'queued')) AS n)
			FROM done`,
			id, worker, retry, r.Status, ts(&retryAt), now, r.Error, r.Summary.Add, r.Summary.Change, r.Summary.Destroy, db.conn.channel).
			Scan(append(jobColumns(out).refs(), &woke)...)
		if isNoRows(err) {
			return lostLease(ctx, q, id, worker)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lostLease says why worker does not hold job id: ENOTFOUND if there is no such job,
// ECONFLICT if it finished or another worker took it over.
func lostLease(ctx context.Context, q querier, id, worker string) error {
	var status, owner string
	if err := q.QueryRow(ctx, `SELECT status, lease_owner FROM jobs WHERE id = $1`, id).Scan(&status, &owner); isNoRows(err) {
		return notFound("job", id)
	} else if err != nil {
		return err
	}
	return launchpad.Errorf(launchpad.ECONFLICT, "worker %q no longer holds job %s (it is %s, leased to %q): the lease was lost; stop working on it", worker, id, status, owner)
}

// GetJob returns the job with id, or ENOTFOUND.
func (db *DB) GetJob(ctx context.Context, id string) (*launchpad.Job, error) {
	return jobTable.get(ctx, db, id)
}

// ListJobs returns the jobs matching f, newest first.
func (db *DB) ListJobs(ctx context.Context, f launchpad.JobFilter) ([]*launchpad.Job, error) {
	return jobTable.list(ctx, db, `WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR job_key = $2) AND ($3 = '' OR status = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, f.Kind, f.Key, f.Status, contract.ListLimit(f.Limit))
}
