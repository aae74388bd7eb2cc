// Package queuetest holds what the tests of the job queue and of the workers that run on it
// share.
package queuetest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// DeadStore wraps a job store and, once Dead is set, fails every call, as a worker whose
// process died never reaches the store again: its job is neither heartbeaten nor finished, and
// only another worker reclaiming it after the lease moves it on. With LeaseLost set,
// HeartbeatJob reports that the job is no longer leased to the worker.
type DeadStore struct {
	launchpad.JobStore
	Dead      atomic.Bool
	LeaseLost atomic.Bool
}

// ErrDead is what a DeadStore answers once Dead is set.
var ErrDead = errors.New("this worker is dead")

func (d *DeadStore) ClaimJob(ctx context.Context, c launchpad.JobClaim) (*launchpad.Job, error) {
	if d.Dead.Load() {
		return nil, ErrDead
	}
	return d.JobStore.ClaimJob(ctx, c)
}

func (d *DeadStore) HeartbeatJob(ctx context.Context, id, worker string, lease time.Duration, now time.Time) error {
	if d.Dead.Load() {
		return ErrDead
	}
	if d.LeaseLost.Load() {
		return launchpad.Errorf(launchpad.ECONFLICT, "job %s is no longer leased to %s", id, worker)
	}
	return d.JobStore.HeartbeatJob(ctx, id, worker, lease, now)
}

func (d *DeadStore) FinishJob(ctx context.Context, id, worker string, r launchpad.JobResult, now time.Time) (*launchpad.Job, error) {
	if d.Dead.Load() {
		return nil, ErrDead
	}
	return d.JobStore.FinishJob(ctx, id, worker, r, now)
}
