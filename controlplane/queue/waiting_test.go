package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// waitingError is a handler waiting for other work that says when to look again.
type waitingError struct{ after time.Duration }

func (e waitingError) Error() string             { return "waiting for the teardown" }
func (e waitingError) RetryAfter() time.Duration { return e.after }

// TestPoolRetriesAWaitingJobWhenItSays: a handler's RetryAfter, not the failure backoff,
// decides when a waiting job runs again.
func TestPoolRetriesAWaitingJobWhenItSays(t *testing.T) {
	s := newStore(t)
	fin := newFinished()
	startPool(t, queue.Config{
		Store: s, Poll: 10 * time.Millisecond, OnFinished: fin.hook,
		Backoff: func(int) time.Duration { return time.Hour },
		Handlers: map[string]queue.Handler{testKind: func(_ context.Context, j *launchpad.Job) (launchpad.PlanSummary, error) {
			if j.Attempts == 1 {
				return launchpad.PlanSummary{}, waitingError{after: 20 * time.Millisecond}
			}
			return launchpad.PlanSummary{}, nil
		}},
	})
	job := enqueue(t, s, "u1", 5)
	first := fin.wait(t, "the waiting attempt")
	if first.Status != launchpad.JobQueued || first.RunAfter.After(time.Now().Add(time.Minute)) {
		t.Fatalf("the waiting attempt left the job %q to run at %v; want queued within RetryAfter, not the hour of backoff", first.Status, first.RunAfter)
	}
	if second := fin.wait(t, "the attempt after the wait"); second.ID != job.ID || second.Status != launchpad.JobSucceeded {
		t.Fatalf("after the wait: %+v", second)
	}
}
