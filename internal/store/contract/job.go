package contract

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// QueuedJob returns a copy of j as EnqueueJob stores it: EINVALID without a kind or with a
// negative MaxAttempts; otherwise queued, unleased and unstarted, with an ID, a CreatedAt
// (now), a RunAfter (CreatedAt) and MaxAttempts (the default) where j left them zero. A store
// that keeps times in its own form converts j's before (a zero time stays zero).
func QueuedJob(j *launchpad.Job, now time.Time) (*launchpad.Job, error) {
	c := *j
	switch {
	case c.Kind == "":
		return nil, launchpad.Errorf(launchpad.EINVALID, "a job needs a kind (for example %q)", launchpad.JobApply)
	case c.MaxAttempts < 0:
		return nil, launchpad.Errorf(launchpad.EINVALID, "job max_attempts is %d; use 0 for the default (%d) or a positive number", c.MaxAttempts, launchpad.DefaultJobMaxAttempts)
	}
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.RunAfter.IsZero() {
		c.RunAfter = c.CreatedAt
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = launchpad.DefaultJobMaxAttempts
	}
	c.Status, c.Attempts = launchpad.JobQueued, 0
	c.LeaseOwner, c.LeaseExpiresAt, c.StartedAt, c.FinishedAt = "", time.Time{}, time.Time{}, time.Time{}
	return &c, nil
}
