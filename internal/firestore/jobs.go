package firestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// jobDoc is a job of the work queue (launchpad_jobs/{id}).
type jobDoc struct {
	ID             string     `firestore:"id"`
	Kind           string     `firestore:"kind"`
	Key            string     `firestore:"key"`
	Payload        []byte     `firestore:"payload"`
	Supersede      bool       `firestore:"supersede"`
	Status         string     `firestore:"status"`
	Attempts       int64      `firestore:"attempts"`
	MaxAttempts    int64      `firestore:"maxAttempts"`
	RunAfter       *time.Time `firestore:"runAfter"`
	LeaseOwner     string     `firestore:"leaseOwner"`
	LeaseExpiresAt *time.Time `firestore:"leaseExpiresAt"`
	CreatedAt      *time.Time `firestore:"createdAt"`
	StartedAt      *time.Time `firestore:"startedAt"`
	FinishedAt     *time.Time `firestore:"finishedAt"`
	Error          string     `firestore:"error"`
	Summary        summaryDoc `firestore:"summary"`
	// PendingSince is CreatedAt while the job is queued or running and null once it is
	// finished, so that ClaimJob walks only unfinished jobs, oldest first, with one query on
	// one automatically indexed field.
	PendingSince *time.Time `firestore:"pendingSince"`
}

type summaryDoc struct {
	Add     int64 `firestore:"add"`
	Change  int64 `firestore:"change"`
	Destroy int64 `firestore:"destroy"`
}

// queueDoc is written by every enqueue of one (kind, key) (launchpad_job_queues/…), so that
// enqueues of one key are serialised and a superseding enqueue sees every queued job.
type queueDoc struct {
	Kind      string     `firestore:"kind"`
	Key       string     `firestore:"key"`
	LastJobID string     `firestore:"lastJobId"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

// keyLockDoc is the lease of the one running job of a non-empty key (launchpad_job_keys/{key}).
// Claims, heartbeats and finishes write it together with the job, so no two jobs of a key
// hold live leases at once.
type keyLockDoc struct {
	Key       string     `firestore:"key"`
	JobID     string     `firestore:"jobId"`
	Worker    string     `firestore:"worker"`
	ExpiresAt *time.Time `firestore:"expiresAt"`
}

var jobKind = recordKind[launchpad.Job, jobDoc]{
	what: "job", keyName: "ID",
	col: func(s *Store) string { return s.col.jobs },
	key: func(j *launchpad.Job) string { return j.ID },
	encode: func(j *launchpad.Job) *jobDoc {
		d := &jobDoc{
			ID: j.ID, Kind: j.Kind, Key: j.Key, Payload: clone(j.Payload), Supersede: j.Supersede,
			Status: j.Status, Attempts: int64(j.Attempts), MaxAttempts: int64(j.MaxAttempts),
			RunAfter: ts(j.RunAfter), LeaseOwner: j.LeaseOwner, LeaseExpiresAt: ts(j.LeaseExpiresAt),
			CreatedAt: ts(j.CreatedAt), StartedAt: ts(j.StartedAt), FinishedAt: ts(j.FinishedAt),
			Error:   j.Error,
			Summary: summaryDoc{Add: int64(j.Summary.Add), Change: int64(j.Summary.Change), Destroy: int64(j.Summary.Destroy)},
		}
		if j.Status == launchpad.JobQueued || j.Status == launchpad.JobRunning {
			d.PendingSince = d.CreatedAt
		}
		return d
	},
	decode: func(d *jobDoc) *launchpad.Job {
		return &launchpad.Job{
			ID: d.ID, Kind: d.Kind, Key: d.Key, Payload: clone(d.Payload), Supersede: d.Supersede,
			Status: d.Status, Attempts: int(d.Attempts), MaxAttempts: int(d.MaxAttempts),
			RunAfter: fromTS(d.RunAfter), LeaseOwner: d.LeaseOwner, LeaseExpiresAt: fromTS(d.LeaseExpiresAt),
			CreatedAt: fromTS(d.CreatedAt), StartedAt: fromTS(d.StartedAt), FinishedAt: fromTS(d.FinishedAt),
			Error:   d.Error,
			Summary: launchpad.PlanSummary{Add: int(d.Summary.Add), Change: int(d.Summary.Change), Destroy: int(d.Summary.Destroy)},
		}
	},
}

func (s *Store) jobRef(id string) *firestore.DocumentRef { return jobKind.ref(s, id) }

func (s *Store) keyLockRef(key string) *firestore.DocumentRef { return s.doc(s.col.jobKeys, key) }

// EnqueueJob stores j as queued and returns it; with j.Supersede, queued jobs of the same Kind
// and Key become superseded in the same commit.
func (s *Store) EnqueueJob(ctx context.Context, j *launchpad.Job) (*launchpad.Job, error) {
	c, err := s.newJob(j, s.clock())
	if err != nil {
		return nil, err
	}
	var out *launchpad.Job
	err = s.atomically(ctx, "enqueue job", func(b *batch) error {
		snaps, err := s.getAll(ctx, s.enqueueRefs(c)...)
		if err != nil {
			return err
		}
		out, err = s.enqueue(ctx, b, c, snaps[0], snaps[1])
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newJob returns a copy of j as EnqueueJob stores it: queued, with its defaults.
func (s *Store) newJob(j *launchpad.Job, now time.Time) (*launchpad.Job, error) {
	in := *j
	in.CreatedAt = micro(in.CreatedAt)
	c, err := contract.QueuedJob(&in, now)
	if err != nil {
		return nil, err
	}
	if len(c.Payload) > maxBlobField {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job payload of %d bytes is too large; the Firestore store keeps payloads up to %d bytes", len(c.Payload), maxBlobField)
	}
	return c, nil
}

// enqueueRefs are the documents enqueueing c reads: the job's own (its id must be free) and
// the queue document of its kind and key.
func (s *Store) enqueueRefs(c *launchpad.Job) []*firestore.DocumentRef {
	return []*firestore.DocumentRef{s.jobRef(c.ID), s.doc(s.col.jobQueues, compositeID(c.Kind, c.Key))}
}

// enqueue adds to b the writes that enqueue c (from newJob), given the enqueueRefs as read.
func (s *Store) enqueue(ctx context.Context, b *batch, c *launchpad.Job, jobSnap, queueSnap *firestore.DocumentSnapshot) (*launchpad.Job, error) {
	if jobSnap.Exists() {
		return nil, taken("job", c.ID)
	}
	now := s.clock()
	if c.Supersede {
		// Every enqueue of this kind and key writes the queue document, so no queued job of
		// it can appear between this query and the commit without failing the commit.
		queued, err := s.client.Collection(s.col.jobs).Where("kind", "==", c.Kind).Where("key", "==", c.Key).
			Where("status", "==", launchpad.JobQueued).Documents(ctx).GetAll()
		if err != nil {
			return nil, err
		}
		for _, snap := range queued {
			old, err := jobKind.fromSnap(snap)
			if err != nil {
				return nil, err
			}
			old.Status, old.FinishedAt = launchpad.JobSuperseded, now
			b.put(snap, jobKind.encode(old))
		}
	}
	b.put(queueSnap, &queueDoc{Kind: c.Kind, Key: c.Key, LastJobID: c.ID, UpdatedAt: ts(now)})
	doc := jobKind.encode(c)
	b.create(jobSnap.Ref, doc)
	return jobKind.decode(doc), nil
}

// ClaimJob takes the oldest runnable job (by CreatedAt) of the given kinds for c.Worker. It
// walks unfinished jobs oldest first and tries to claim each runnable one with a commit that
// is conditional on the job (as the walk read it) and its key's lock being unchanged: of any
// number of concurrent claimers, in any number of processes, exactly one gets a given job, and
// a claimer that loses a job to another moves on to the next instead of waiting. Expired jobs
// without attempts left are marked failed on the way.
func (s *Store) ClaimJob(ctx context.Context, c launchpad.JobClaim) (*launchpad.Job, error) {
	if c.Worker == "" || c.Lease <= 0 {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job claim needs a worker name and a positive lease (got worker %q, lease %s)", c.Worker, c.Lease)
	}
	now := micro(c.Now)
	if now.IsZero() {
		now = s.clock()
	}
	it := s.client.Collection(s.col.jobs).Where("pendingSince", ">=", time.Time{}).
		OrderBy("pendingSince", firestore.Asc).Documents(ctx)
	defer it.Stop()
	skip := 0 // after a lost race, runnable jobs to pass over so that the losers spread out
	for {
		snap, err := it.Next()
		if err == iterator.Done {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no runnable job")
		}
		if err != nil {
			return nil, storeError(err, "find a runnable job")
		}
		j, err := jobKind.fromSnap(snap)
		if err != nil {
			return nil, err
		}
		if len(c.Kinds) > 0 && !slices.Contains(c.Kinds, j.Kind) || !runnable(j, now) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		got, lost, err := s.claim(ctx, snap, j, c, now)
		if err != nil || got != nil {
			return got, err
		}
		if lost {
			// The claimers that lost this job would all try the next one together.
			skip = rand.IntN(4)
		}
	}
}

// runnable reports whether j may be claimed at now: queued and due, or running with an
// expired lease (its worker died).
func runnable(j *launchpad.Job, now time.Time) bool {
	switch j.Status {
	case launchpad.JobQueued:
		return !j.RunAfter.After(now)
	case launchpad.JobRunning:
		return !now.Before(j.LeaseExpiresAt)
	}
	return false
}

// claim tries once to take job j, read as jobSnap. No job and no error when it cannot be had:
// another claimer changed it first (lost), its key is busy, or it ran out of attempts and was
// marked failed.
func (s *Store) claim(ctx context.Context, jobSnap *firestore.DocumentSnapshot, j *launchpad.Job, c launchpad.JobClaim, now time.Time) (claimed *launchpad.Job, lost bool, err error) {
	var out *launchpad.Job
	lost, err = s.attemptOnce(ctx, func(b *batch) error {
		var lockSnap *firestore.DocumentSnapshot
		var lock keyLockDoc
		if j.Key != "" {
			var err error
			if lockSnap, err = s.get(ctx, s.keyLockRef(j.Key)); err != nil {
				return err
			}
			if lock, err = lockOf(lockSnap); err != nil {
				return err
			}
		}
		if j.Status == launchpad.JobRunning && j.Attempts >= j.MaxAttempts {
			// Its worker died during the last attempt it had.
			msg := fmt.Sprintf("the lease expired during attempt %d of %d (the worker stopped heartbeating)", j.Attempts, j.MaxAttempts)
			if j.Error != "" {
				msg += "; last error: " + j.Error
			}
			j.Status, j.FinishedAt, j.LeaseExpiresAt, j.Error = launchpad.JobFailed, now, time.Time{}, msg
			b.put(jobSnap, jobKind.encode(j))
			if lockSnap != nil && lock.JobID == j.ID {
				b.remove(lockSnap)
			}
			return nil
		}
		if lockSnap != nil && lockSnap.Exists() && lock.JobID != j.ID && fromTS(lock.ExpiresAt).After(now) {
			return nil // another job of this key holds a live lease
		}
		j.Status, j.LeaseOwner, j.LeaseExpiresAt = launchpad.JobRunning, c.Worker, now.Add(c.Lease)
		j.Attempts++
		j.StartedAt = now
		doc := jobKind.encode(j)
		b.put(jobSnap, doc)
		if lockSnap != nil {
			b.put(lockSnap, &keyLockDoc{Key: j.Key, JobID: j.ID, Worker: c.Worker, ExpiresAt: doc.LeaseExpiresAt})
		}
		out = jobKind.decode(doc)
		return nil
	})
	switch {
	case lost:
		return nil, true, nil // someone else changed the job or its key first
	case err != nil:
		return nil, false, s.outcome(err, "claim job")
	}
	return out, false, nil
}

// held is a job its worker still holds, read within a commit together with its key's lock.
type held struct {
	job      *launchpad.Job
	snap     *firestore.DocumentSnapshot // the job's document
	lockSnap *firestore.DocumentSnapshot // its key's lock; nil for a job without a key
	lock     keyLockDoc                  // what lockSnap holds; zero when it does not exist
}

// heldJob reads job id and its key's lock, and checks that worker still holds the job:
// ENOTFOUND if there is no such job, ECONFLICT if it is no longer running under worker.
func (s *Store) heldJob(ctx context.Context, id, worker string) (*held, error) {
	jobSnap, j, err := jobKind.load(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if j.Status != launchpad.JobRunning || j.LeaseOwner != worker {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "job %s is no longer held by worker %q (it is %s, leased to %q): its lease was lost, so stop working on it", launchpad.Clip(id, 100), launchpad.Clip(worker, 100), j.Status, launchpad.Clip(j.LeaseOwner, 100))
	}
	h := &held{job: j, snap: jobSnap}
	if j.Key != "" {
		if h.lockSnap, err = s.get(ctx, s.keyLockRef(j.Key)); err != nil {
			return nil, err
		}
		if h.lock, err = lockOf(h.lockSnap); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func lockOf(snap *firestore.DocumentSnapshot) (keyLockDoc, error) {
	var lock keyLockDoc
	if snap == nil || !snap.Exists() {
		return lock, nil
	}
	err := snap.DataTo(&lock)
	return lock, err
}

// HeartbeatJob extends the lease of a job worker still holds, and its key's lock, to
// now+lease. ECONFLICT if the job is no longer running under worker, or another job of its
// key took the key over after this lease had expired.
func (s *Store) HeartbeatJob(ctx context.Context, id, worker string, lease time.Duration, now time.Time) error {
	now = micro(now)
	return s.atomically(ctx, "heartbeat job", func(b *batch) error {
		h, err := s.heldJob(ctx, id, worker)
		if err != nil {
			return err
		}
		if h.lockSnap != nil && h.lockSnap.Exists() && h.lock.JobID != id && fromTS(h.lock.ExpiresAt).After(now) {
			return launchpad.Errorf(launchpad.ECONFLICT, "job %s: its lease expired and job %s of the same key is running now; stop working on it", launchpad.Clip(id, 100), launchpad.Clip(h.lock.JobID, 100))
		}
		j := h.job
		j.LeaseExpiresAt = now.Add(lease)
		doc := jobKind.encode(j)
		b.put(h.snap, doc)
		if h.lockSnap != nil {
			b.put(h.lockSnap, &keyLockDoc{Key: j.Key, JobID: id, Worker: worker, ExpiresAt: doc.LeaseExpiresAt})
		}
		return nil
	})
}

// FinishJob records the outcome of a job worker holds and releases its key. A failed job with
// attempts left and a RetryAt goes back to the queue.
func (s *Store) FinishJob(ctx context.Context, id, worker string, r launchpad.JobResult, now time.Time) (*launchpad.Job, error) {
	if r.Status != launchpad.JobSucceeded && r.Status != launchpad.JobFailed {
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job finishes as %q or %q, not %q", launchpad.JobSucceeded, launchpad.JobFailed, launchpad.Clip(r.Status, 40))
	}
	now = micro(now)
	var out *launchpad.Job
	err := s.atomically(ctx, "finish job", func(b *batch) error {
		h, err := s.heldJob(ctx, id, worker)
		if err != nil {
			return err
		}
		j := h.job
		j.Error, j.Summary, j.LeaseExpiresAt = r.Error, r.Summary, time.Time{}
		if r.Status == launchpad.JobFailed && !r.RetryAt.IsZero() && j.Attempts < j.MaxAttempts {
			j.Status, j.RunAfter, j.LeaseOwner = launchpad.JobQueued, micro(r.RetryAt), ""
		} else {
			j.Status, j.FinishedAt = r.Status, now
		}
		doc := jobKind.encode(j)
		b.put(h.snap, doc)
		if h.lockSnap != nil && h.lock.JobID == id {
			b.remove(h.lockSnap)
		}
		out = jobKind.decode(doc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetJob returns the job with id, or ENOTFOUND.
func (s *Store) GetJob(ctx context.Context, id string) (*launchpad.Job, error) {
	return getRecord(ctx, s, jobKind, id)
}

// ListJobs returns the jobs matching f, newest first (Limit 0 means 100; at most 1000). With
// filters, Cloud Firestore needs the composite indexes in firestore.indexes.json (one per
// filter field, merged by Firestore for combinations); the emulator needs none.
func (s *Store) ListJobs(ctx context.Context, f launchpad.JobFilter) ([]*launchpad.Job, error) {
	q := s.client.Collection(s.col.jobs).Query
	if f.Kind != "" {
		q = q.Where("kind", "==", f.Kind)
	}
	if f.Key != "" {
		q = q.Where("key", "==", f.Key)
	}
	if f.Status != "" {
		q = q.Where("status", "==", f.Status)
	}
	return readAll(ctx, q.OrderBy("createdAt", firestore.Desc).Limit(contract.ListLimit(f.Limit)), "list jobs", jobKind.fromSnap)
}
