package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// DefaultStepEvery is how often a moving rollout looks at its tenants by default.
const DefaultStepEvery = time.Second

// Auto-rollout modes (LAUNCHPAD_AUTO_ROLLOUT): what serve does with a rollout a plan edit
// proposed.
const (
	AutoOff     = "off"     // drop it (aborted, nothing changed)
	AutoPropose = "propose" // keep it proposed until an operator starts it (resume)
	AutoStart   = "start"   // start it at once
)

// ParseAutoRollout reads LAUNCHPAD_AUTO_ROLLOUT ("" is the default, propose).
func ParseAutoRollout(v string) (string, error) {
	switch v {
	case "":
		return AutoPropose, nil
	case AutoOff, AutoPropose, AutoStart:
		return v, nil
	}
	return "", fmt.Errorf("LAUNCHPAD_AUTO_ROLLOUT=%q is not valid: use off, propose (the default: a plan edit's rollout waits for an operator) or start", launchpad.Clip(v, 20))
}

// Config configures an Engine. Store and Desired are required.
type Config struct {
	Store launchpad.Store
	// Runtime reads tenant machines for the health gate. Without it (Fly not configured) a
	// tenant counts as healthy once its apply succeeded, and the engine logs that once.
	Runtime launchpad.Runtime
	// Desired is the state a user's tenant should be in now (billing.Processor.DesiredNow):
	// a rollout changes only the image (or re-applies the plan) of that state.
	Desired func(u *launchpad.User) (launchpad.ApplyRequest, error)
	// Wake tells this process's idle workers that a job was enqueued.
	Wake func()
	// StepEvery is how often a moving rollout looks at its applies and machines (default 1s).
	StepEvery time.Duration
	// AutoRollout is LAUNCHPAD_AUTO_ROLLOUT: AutoOff, AutoPropose (default) or AutoStart.
	AutoRollout string
	// ApplyMaxAttempts is the attempts of each tenant apply (0: the queue's default).
	ApplyMaxAttempts int
	Now              func() time.Time
	Logger           *slog.Logger
}

// Engine starts, steps, pauses, resumes and aborts rollouts.
type Engine struct {
	cfg Config
}

// New checks cfg and returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Desired == nil {
		return nil, errors.New("rollout: Config.Store and Config.Desired are required")
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	var err error
	if cfg.AutoRollout, err = ParseAutoRollout(cfg.AutoRollout); err != nil {
		return nil, err
	}
	if cfg.StepEvery <= 0 {
		cfg.StepEvery = DefaultStepEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Runtime == nil {
		cfg.Logger.Warn("rollouts count a tenant healthy once its apply succeeds: the Fly Machines API is not configured, so machine checks cannot be read")
	}
	return &Engine{cfg: cfg}, nil
}

// stepPayload is a JobRollout job's payload.
type stepPayload struct {
	Rollout string `json:"rollout"`
}

// stepKey is the job key of a rollout's steps.
func stepKey(id string) string { return launchpad.RolloutStepKey(id) }

// enqueueStep asks for the rollout's next step at (zero: now). A queued step is replaced.
func (e *Engine) enqueueStep(ctx context.Context, id string, at time.Time) error {
	_, err := e.cfg.Store.EnqueueJob(ctx, launchpad.RolloutStepJob(id, at))
	if err == nil && at.IsZero() {
		e.cfg.Wake()
	}
	return err
}

// audit writes one event; a failure is logged (the rollout's record holds the truth).
func (e *Engine) audit(ctx context.Context, stream, actor, action, target string, details map[string]string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := e.cfg.Store.AppendAudit(actx, &launchpad.AuditEvent{
		Stream: stream, Actor: actor, Action: action, Target: target, Details: details, Time: e.cfg.Now(),
	})
	if err != nil {
		e.cfg.Logger.Error("rollout audit event not written", "action", action, "stream", stream, "rollout", target, "error", err)
	}
}

// rolloutDetails are the audit details every rollout event carries.
func rolloutDetails(r *launchpad.Rollout, extra map[string]string) map[string]string {
	c := r.Counts()
	d := map[string]string{
		"state": r.State, "total": itoa(c.Total), "succeeded": itoa(c.Succeeded), "failed": itoa(c.Failed),
		"pending": itoa(c.Pending), "in_flight": itoa(c.InFlight), "rolled_back": itoa(c.RolledBack),
	}
	if r.Image != "" {
		d["image"] = r.Image
	}
	if r.Plan != "" {
		d["plan"] = r.Plan
	}
	if r.Reason != "" {
		d["reason"] = launchpad.Clip(r.Reason, 300)
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// ApplyFinished is told of every apply job the queue has finished and recorded: when it
// belongs to a rollout, that rollout's next step is asked for now, so the tenant's health
// gate and the next tenant's apply follow at once instead of at the next StepEvery. A queued
// step is replaced (a running one goes on, and the new one runs after it); a failure to ask
// is only logged, since the step due later does the same work.
func (e *Engine) ApplyFinished(ctx context.Context, j *launchpad.Job) {
	if j == nil || j.Kind != launchpad.JobApply || (j.Status != launchpad.JobSucceeded && j.Status != launchpad.JobFailed) {
		return
	}
	d, err := launchpad.ParseApplyRequest(j.Payload)
	if err != nil || d.Rollout == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.enqueueStep(ctx, d.Rollout, timeZero); err != nil {
		e.cfg.Logger.Warn("the rollout's step was not asked for after its tenant's apply; it runs when due", "rollout", d.Rollout, "job", j.ID, "error", err)
	}
}
