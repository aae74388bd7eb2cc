package launchpad

import "time"

// Job kinds.
const (
	JobApply       = "apply"        // re-render and apply one user's tenant workspace
	JobStripeEvent = "stripe_event" // process one recorded Stripe event
	JobRollout     = "rollout"      // advance one fleet rollout by a step (key: "rollout/" + its id)
)

// Job statuses.
const (
	JobQueued     = "queued"
	JobRunning    = "running"
	JobSucceeded  = "succeeded"
	JobFailed     = "failed"
	JobSuperseded = "superseded" // a newer job for the same key replaced it before it ran
)

// Job is a unit of background work claimed through the store, so that several control-plane
// replicas share one queue without in-process locks. At most one job per Key runs at a time
// (for apply jobs the key is the user id: one apply per tenant).
type Job struct {
	ID      string
	Kind    string
	Key     string
	Payload []byte // JSON, kind-specific
	// Supersede: when enqueued, queued (not running) jobs of the same Kind and Key are marked
	// JobSuperseded, because this one carries newer desired state.
	Supersede bool

	Status      string
	Attempts    int
	MaxAttempts int // 0 means the store default (5)
	RunAfter    time.Time

	LeaseOwner     string
	LeaseExpiresAt time.Time

	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string
	Summary    PlanSummary
}

// PlanSummary is what a tofu plan would do.
type PlanSummary struct {
	Add, Change, Destroy int
}

// DefaultJobMaxAttempts is used when Job.MaxAttempts is 0.
const DefaultJobMaxAttempts = 5

// JobClaim asks for the oldest runnable job.
type JobClaim struct {
	Worker string
	Kinds  []string // empty means any kind
	Lease  time.Duration
	Now    time.Time
}

// JobResult is how a worker finishes a job it holds.
type JobResult struct {
	Status  string // JobSucceeded or JobFailed
	Error   string
	Summary PlanSummary
	// RetryAt, for a failed job with attempts left, puts it back in the queue to run then.
	RetryAt time.Time
}

// JobFilter selects jobs, newest first; zero fields match everything.
type JobFilter struct {
	Kind   string
	Key    string
	Status string
	Limit  int // 0 means 100
}
