package launchpad

import (
	"context"
	"encoding/json"
	"math"
	"regexp"
	"time"
)

// ValidateRolloutID checks a rollout id from a request or a job payload.
func ValidateRolloutID(id string) error {
	if !rolloutIDPattern.MatchString(id) {
		return Errorf(EINVALID, "rollout id %q is not valid: rollout ids look like ro_ followed by letters and digits", Clip(id, 40))
	}
	return nil
}

var rolloutIDPattern = regexp.MustCompile(`^ro_[A-Za-z0-9]{1,40}$`)

// Rollout states. A rollout is proposed (waiting for an operator), running, paused (by an
// operator or by itself past MaxFailures), completed, aborted (no more tenants are changed;
// those already changed are being put back), or rolled_back (every changed tenant runs what
// it ran before).
const (
	RolloutProposed   = "proposed"
	RolloutRunning    = "running"
	RolloutPaused     = "paused"
	RolloutCompleted  = "completed"
	RolloutAborted    = "aborted"
	RolloutRolledBack = "rolled_back"
)

// RolloutTerminal reports whether a rollout in state changes no tenant any more.
func RolloutTerminal(state string) bool {
	return state == RolloutCompleted || state == RolloutRolledBack
}

// Outcomes of one tenant in a rollout (RolloutTenant.Status).
const (
	TenantPending     = "pending"      // not reached yet: untouched
	TenantApplying    = "applying"     // its apply job is queued or running
	TenantChecking    = "checking"     // applied; waiting for the machine to start and pass its checks
	TenantSucceeded   = "succeeded"    // applied and healthy within the health timeout
	TenantFailed      = "failed"       // the apply failed, or the machine was not healthy in time
	TenantRollingBack = "rolling_back" // an apply back to the previous image or plan runs
	TenantRolledBack  = "rolled_back"  // back on what it ran before the rollout
)

// RolloutPolicy says how fast a rollout goes and when it stops by itself.
type RolloutPolicy struct {
	// Canary is how many tenants go first, alone; the rest wait until they are healthy.
	Canary int `json:"canary"`
	// BatchSize is how many tenants form each wave after the canaries.
	BatchSize int `json:"batch_size"`
	// MaxParallel bounds the applies of this rollout in flight at once.
	MaxParallel int `json:"max_parallel"`
	// MaxFailures pauses the rollout once more tenants than this failed; MaxFailureRatio
	// (0 to 1, used when MaxFailures is 0) does the same for the share of tenants reached.
	MaxFailures     int     `json:"max_failures"`
	MaxFailureRatio float64 `json:"max_failure_ratio,omitempty"`
	// HealthTimeout is how long a tenant's machine has, after its apply, to be started and
	// pass its checks.
	HealthTimeout time.Duration `json:"health_timeout"`
}

// Defaults of a RolloutPolicy's zero fields.
const (
	DefaultRolloutCanary        = 1
	DefaultRolloutBatchSize     = 10
	DefaultRolloutMaxParallel   = 4
	DefaultRolloutHealthTimeout = 5 * time.Minute
)

// WithDefaults fills zero fields.
func (p RolloutPolicy) WithDefaults() RolloutPolicy {
	if p.Canary == 0 {
		p.Canary = DefaultRolloutCanary
	}
	if p.BatchSize == 0 {
		p.BatchSize = DefaultRolloutBatchSize
	}
	if p.MaxParallel == 0 {
		p.MaxParallel = DefaultRolloutMaxParallel
	}
	if p.HealthTimeout == 0 {
		p.HealthTimeout = DefaultRolloutHealthTimeout
	}
	return p
}

// Validate names the field that is out of range and what a valid value is.
func (p RolloutPolicy) Validate() error {
	switch {
	case p.Canary < 0 || p.Canary > 1000:
		return Errorf(EINVALID, "canary %d is not valid: use 0 to 1000 tenants (default %d)", p.Canary, DefaultRolloutCanary)
	case p.BatchSize < 1 || p.BatchSize > 10000:
		return Errorf(EINVALID, "batch_size %d is not valid: use 1 to 10000 tenants (default %d)", p.BatchSize, DefaultRolloutBatchSize)
	case p.MaxParallel < 1 || p.MaxParallel > 64:
		return Errorf(EINVALID, "max_parallel %d is not valid: use 1 to 64 applies at once (default %d)", p.MaxParallel, DefaultRolloutMaxParallel)
	case p.MaxFailures < 0:
		return Errorf(EINVALID, "max_failures %d is not valid: use a whole number of tenants (0 or more) or a ratio below 1 such as 0.1", p.MaxFailures)
	case p.MaxFailureRatio < 0 || p.MaxFailureRatio >= 1 || math.IsNaN(p.MaxFailureRatio):
		return Errorf(EINVALID, "max_failures ratio %v is not valid: use a ratio from 0 to below 1 such as 0.1, or a whole number of tenants", p.MaxFailureRatio)
	case p.HealthTimeout < time.Second || p.HealthTimeout > 24*time.Hour:
		return Errorf(EINVALID, "health_timeout %s is not valid: use a duration from 1s to 24h such as 5m (default %s)", p.HealthTimeout, DefaultRolloutHealthTimeout)
	}
	return nil
}

// TooManyFailures reports whether failed tenants out of reached ones exceed the policy.
func (p RolloutPolicy) TooManyFailures(failed, reached int) bool {
	if failed == 0 {
		return false
	}
	if p.MaxFailures > 0 || p.MaxFailureRatio == 0 {
		return failed > p.MaxFailures
	}
	return float64(failed)/float64(max(reached, 1)) > p.MaxFailureRatio
}

// RolloutSelection narrows the tenants a rollout reaches; empty fields select every one.
type RolloutSelection struct {
	Plans   []string `json:"plans,omitempty"`
	UserIDs []string `json:"user_ids,omitempty"`
}

// RolloutTenant is one tenant's part in a rollout.
type RolloutTenant struct {
	UserID  string `json:"user_id"`
	AppName string `json:"app_name,omitempty"`
	// Wave is 0 for the canaries, then 1, 2, … for each batch.
	Wave   int    `json:"wave"`
	Status string `json:"status"`
	// PreviousImage is the image the tenant ran before the rollout: what an abort puts back.
	PreviousImage string `json:"previous_image,omitempty"`
	// Job is the apply of the rollout's change; RollbackJob the apply that undoes it.
	Job         string    `json:"job,omitempty"`
	RollbackJob string    `json:"rollback_job,omitempty"`
	AppliedAt   time.Time `json:"applied_at,omitzero"`
	DoneAt      time.Time `json:"done_at,omitzero"`
	Error       string    `json:"error,omitempty"`
}

// Changed reports whether the rollout's apply may have changed the tenant (an abort puts it back).
func (t RolloutTenant) Changed() bool {
	return t.Job != "" && t.Status != TenantPending
}

// Rollout carries a new agent image, or a plan's current definition, to every selected
// tenant: canaries first, then batches, each tenant applied once through the apply queue and
// counted done only once healthy.
type Rollout struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Image is the agent image the tenants move to; Plan the plan whose current definition
	// they are re-applied with. At least one is set.
	Image     string           `json:"image,omitempty"`
	Plan      string           `json:"plan,omitempty"`
	Selection RolloutSelection `json:"selection"`
	Policy    RolloutPolicy    `json:"policy"`
	Tenants   []RolloutTenant  `json:"tenants"`
	// PlanBefore and PlanAfter are, for a plan rollout, the plan's definition before the edit
	// it carries and after it. An abort puts PlanBefore back in the plan (while the plan still
	// holds PlanAfter) and re-applies the tenants it changed. PlanBefore is nil when unknown
	// (a plan rollout started by hand with no proposal of the edit): an abort then leaves
	// the plan's tenants as they are.
	PlanBefore *PlanDefinition `json:"plan_before,omitempty"`
	PlanAfter  *PlanDefinition `json:"plan_after,omitempty"`
	// Unselected: the tenants are picked when the rollout starts (a proposal recorded by a
	// plan write, which cannot tell which tenants are running).
	Unselected bool `json:"unselected,omitempty"`
	// Reason says why the rollout is paused, aborted or was proposed.
	Reason    string    `json:"reason,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RolloutStepKey is the job key of a rollout's steps: one step of a rollout at a time, in
// any replica.
func RolloutStepKey(id string) string { return "rollout/" + id }

// RolloutStepJob is the JobRollout job that advances rollout id at runAfter (zero: now).
func RolloutStepJob(id string, runAfter time.Time) *Job {
	payload, _ := json.Marshal(struct {
		Rollout string `json:"rollout"`
	}{id})
	return &Job{Kind: JobRollout, Key: RolloutStepKey(id), Payload: payload, Supersede: true, RunAfter: runAfter, MaxAttempts: 20}
}

// RolloutCounts sums the tenants' outcomes.
type RolloutCounts struct {
	Total      int `json:"total"`
	Pending    int `json:"pending"`
	InFlight   int `json:"in_flight"`
	Succeeded  int `json:"succeeded"`
	Failed     int `json:"failed"`
	RolledBack int `json:"rolled_back"`
}

// Counts sums r's tenants by outcome (rolling back counts as in flight).
func (r *Rollout) Counts() RolloutCounts {
	c := RolloutCounts{Total: len(r.Tenants)}
	for _, t := range r.Tenants {
		switch t.Status {
		case TenantPending:
			c.Pending++
		case TenantApplying, TenantChecking, TenantRollingBack:
			c.InFlight++
		case TenantSucceeded:
			c.Succeeded++
		case TenantFailed:
			c.Failed++
		case TenantRolledBack:
			c.RolledBack++
		}
	}
	return c
}

// Fleet is the fleet's desired state: what tenants created or re-applied from now on run.
type Fleet struct {
	// Image is the agent image (seeded from LAUNCHPAD_IMAGE; a completed image rollout sets
	// it). "" until seeded.
	Image     string
	UpdatedAt time.Time
}

// RolloutStore keeps rollouts and the fleet's desired state.
type RolloutStore interface {
	// CreateRollout stores r (CreatedAt and UpdatedAt set when zero). ECONFLICT if the id is taken.
	CreateRollout(ctx context.Context, r *Rollout) error
	// GetRollout: ENOTFOUND if there is none.
	GetRollout(ctx context.Context, id string) (*Rollout, error)
	// ListRollouts returns up to limit rollouts (0: 100), newest first.
	ListRollouts(ctx context.Context, limit int) ([]*Rollout, error)
	// UpdateRollout is atomic like UpdateUser: concurrent updates are serialised, fn may run
	// more than once; fn may not change ID (EINVALID). UpdatedAt is set.
	UpdateRollout(ctx context.Context, id string, fn func(*Rollout) error) (*Rollout, error)
	// GetFleet returns the fleet record; the zero Fleet when none is stored, never ENOTFOUND.
	GetFleet(ctx context.Context) (*Fleet, error)
	// UpdateFleet is atomic like UpdatePlatformKeys (the zero Fleet when none is stored).
	UpdateFleet(ctx context.Context, fn func(*Fleet) error) (*Fleet, error)
}
