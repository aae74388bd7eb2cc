package controlplane

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// JobJSON is a background job as the admin API shows it.
type JobJSON struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Key         string `json:"key"`
	Status      string `json:"status"`
	Attempts    int    `json:"attempts"`
	MaxAttempts int    `json:"max_attempts"`
	// Apply is the desired state of an apply job: the plan, or a destroy, and why.
	Apply *JobApplyJSON `json:"apply,omitempty"`
	// Payload is the job's stored payload (an event id, a user id, a desired state); it
	// never holds a credential.
	Payload json.RawMessage `json:"payload,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	RunAfter   *time.Time `json:"run_after,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	DurationMS *int64     `json:"duration_ms,omitempty"` // finished jobs: started to finished
	// Worker is the worker that holds the job, or last held it ("host-pid-random/N").
	Worker         string     `json:"worker,omitempty"`
	LeaseExpiresAt *time.Time `json:"lease_expires_at,omitempty"` // running jobs only

	Error   string      `json:"error,omitempty"`
	Summary SummaryJSON `json:"summary"`
}

// JobApplyJSON is what an apply job asks for.
type JobApplyJSON struct {
	UserID  string `json:"user_id"`
	Plan    string `json:"plan,omitempty"`
	Destroy bool   `json:"destroy"`
	Reason  string `json:"reason,omitempty"`
	Product string `json:"product,omitempty"`
	Region  string `json:"region,omitempty"`
	Image   string `json:"image,omitempty"`
	// Rollout is the fleet rollout the apply belongs to.
	Rollout string `json:"rollout,omitempty"`
}

// SummaryJSON is what an apply's plan did: tofu's "Plan: N to add, N to change, N to destroy".
type SummaryJSON struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// JobList answers GET /api/admin/jobs, newest first.
type JobList struct {
	Jobs []JobJSON `json:"jobs"`
}

func jobJSON(j *launchpad.Job) JobJSON {
	out := JobJSON{
		ID: j.ID, Kind: j.Kind, Key: j.Key, Status: j.Status, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt.UTC(), RunAfter: httpjson.Time(j.RunAfter), StartedAt: httpjson.Time(j.StartedAt), FinishedAt: httpjson.Time(j.FinishedAt),
		Worker: j.LeaseOwner, Error: j.Error,
		Summary: SummaryJSON{Add: j.Summary.Add, Change: j.Summary.Change, Destroy: j.Summary.Destroy},
	}
	if out.MaxAttempts <= 0 {
		out.MaxAttempts = launchpad.DefaultJobMaxAttempts
	}
	if j.Status == launchpad.JobRunning {
		out.LeaseExpiresAt = httpjson.Time(j.LeaseExpiresAt)
	}
	if !j.StartedAt.IsZero() && !j.FinishedAt.IsZero() && !j.FinishedAt.Before(j.StartedAt) {
		ms := j.FinishedAt.Sub(j.StartedAt).Milliseconds()
		out.DurationMS = &ms
	}
	if json.Valid(j.Payload) {
		out.Payload = json.RawMessage(j.Payload)
	}
	if j.Kind == launchpad.JobApply {
		if d, err := launchpad.ParseApplyRequest(j.Payload); err == nil {
			out.Apply = &JobApplyJSON{UserID: d.UserID, Plan: d.Plan, Destroy: d.Destroy, Reason: d.Reason, Product: d.Product, Region: d.Region, Image: d.Image, Rollout: d.Rollout}
		}
	}
	return out
}

const (
	defaultJobPage = 50
	maxJobPage     = 500
)

// jobStatuses and jobKinds are what ?status= and ?kind= accept.
var (
	jobStatuses = []string{launchpad.JobQueued, launchpad.JobRunning, launchpad.JobSucceeded, launchpad.JobFailed, launchpad.JobSuperseded}
	jobKinds    = []string{launchpad.JobApply, launchpad.JobStripeEvent, billing.JobLapse, launchpad.JobRollout}
)

// handleAdminJobs lists jobs, newest first: ?user_id= (the jobs keyed by that user: applies
// and lapse timers), ?kind=, ?status=, ?limit= (1-500, default 50).
func (s *Server) handleAdminJobs(w http.ResponseWriter, r *http.Request) (*JobList, error) {
	q, err := queryParams(r, "user_id", "kind", "status", "limit")
	if err != nil {
		return nil, err
	}
	f := launchpad.JobFilter{Limit: defaultJobPage}
	if id, ok := q["user_id"]; ok {
		if err := launchpad.ValidateUserID(id); err != nil {
			return nil, err
		}
		f.Key = id
	}
	if k, ok := q["kind"]; ok {
		if !slices.Contains(jobKinds, k) {
			return nil, launchpad.Errorf(launchpad.EINVALID, "kind %q is not a job kind; use one of %v", launchpad.Clip(k, 40), jobKinds)
		}
		f.Kind = k
	}
	if st, ok := q["status"]; ok {
		if !slices.Contains(jobStatuses, st) {
			return nil, launchpad.Errorf(launchpad.EINVALID, "status %q is not a job status; use one of %v", launchpad.Clip(st, 40), jobStatuses)
		}
		f.Status = st
	}
	if l, ok := q["limit"]; ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxJobPage {
			return nil, launchpad.Errorf(launchpad.EINVALID, "limit %q is not a number from 1 to %d", launchpad.Clip(l, 20), maxJobPage)
		}
		f.Limit = n
	}
	jobs, err := s.store.ListJobs(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := &JobList{Jobs: make([]JobJSON, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, jobJSON(j))
	}
	return out, nil
}

// handleAdminJob returns one job.
func (s *Server) handleAdminJob(w http.ResponseWriter, r *http.Request) (*JobJSON, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	j, err := s.job(r)
	if err != nil {
		return nil, err
	}
	out := jobJSON(j)
	return &out, nil
}

// jobIDPattern is what a job id may look like before it reaches the store: the stores make
// 20 characters of [a-z0-9]; a little more is allowed, nothing that could be a path.
var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// job reads the job named by the {id} path value: EINVALID for a malformed id, ENOTFOUND for
// an unknown one.
func (s *Server) job(r *http.Request) (*launchpad.Job, error) {
	id := r.PathValue("id")
	if !jobIDPattern.MatchString(id) {
		return nil, launchpad.Errorf(launchpad.EINVALID, "job id %q is not valid: job ids are 1-64 letters, digits, '_' and '-'", launchpad.Clip(id, 40))
	}
	j, err := s.store.GetJob(r.Context(), id)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no job %s", id)
	}
	return j, err
}

// handleAdminApply enqueues an apply of the user's current desired state whatever the queue
// holds (a re-trigger after a failure, or to repair drift): 202 with the job. 404 for an
// unknown user; 400, saying why, for a user with nothing to apply. The runner audits the
// apply with reason "admin".
func (s *Server) handleAdminApply(w http.ResponseWriter, r *http.Request, _ *struct{}) (*JobJSON, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	id := r.PathValue("user_id")
	if err := launchpad.ValidateUserID(id); err != nil {
		return nil, err
	}
	j, err := s.bg.proc.EnqueueApply(r.Context(), id)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s", id)
	} else if err != nil {
		return nil, err
	}
	s.logger(r.Context()).Info("apply enqueued by an operator", "user", id, "job", j.ID)
	out := jobJSON(j)
	return &out, nil
}
