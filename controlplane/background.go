package controlplane

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/rollout"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/erasure"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Workers runs the job queue in this process: Stripe events, lapse timers and tofu applies.
// Put one in Deps.Workers to get a whole control plane from New; leave Deps.Workers nil for a
// server that only records events and enqueues jobs (another replica runs them).
//
// A test or another package starts a complete control plane on loopback with:
//
//	srv, err := controlplane.New(controlplane.Config{Addr: "127.0.0.1:0", AdminToken: token},
//		controlplane.Deps{Store: st, Keyring: kr, Mailer: mailer, Logger: log,
//			Billing: billing.Env{WebhookSecrets: []string{whsec}, VolumeRetention: 5 * time.Second},
//			Workers: &controlplane.Workers{
//				Queue:  queue.Config{Workers: 2},
//				Runner: runner.Config{Tofu: tofu, DataDir: dir, ProviderBinary: bin, ProviderEnv: env},
//			}})
//	err = srv.Open()    // listens and starts the workers
//	defer srv.Close()   // stops HTTP, drains the workers
type Workers struct {
	// Queue configures the pool (queue.EnvConfig reads LAUNCHPAD_WORKERS, LAUNCHPAD_JOB_LEASE
	// and LAUNCHPAD_JOB_SHUTDOWN_GRACE into it). New sets Store, Handlers and Logger, and
	// wraps OnFinished to count finished jobs in /metrics.
	Queue queue.Config
	// Runner configures the tofu runner (runner.EnvConfig reads LAUNCHPAD_TOFU,
	// LAUNCHPAD_DATA_DIR, the tenant defaults and the provider's environment into it). New
	// sets Store and Logger. ProviderBinary defaults to this executable, which is wrong in a
	// test binary: tests set it to a built terraform-provider-launchpad.
	Runner runner.Config
	// RolloutStepEvery is how often a moving rollout looks at its tenants' applies and
	// machines (default rollout.DefaultStepEvery, 1s).
	RolloutStepEvery time.Duration
	// AutoRollout is LAUNCHPAD_AUTO_ROLLOUT: what a plan edit's proposed rollout becomes
	// (rollout.AutoOff, AutoPropose, the default, or AutoStart).
	AutoRollout string
}

// background is the part of the server that is not request handling: the Stripe processor
// (always: the admin re-trigger needs it), the webhook handler, with Deps.Workers the runner
// and the worker pool, with Deps.Metering the metering loop, and with Deps.Purge the purge
// loop.
type background struct {
	proc    *billing.Processor
	webhook http.Handler
	runner  *runner.Runner
	pool    *queue.Pool
	// rollouts starts and steps fleet rollouts; its steps run in the pool.
	rollouts *rollout.Engine
	// fleetImage seeds the fleet's stored image when the store has none (LAUNCHPAD_IMAGE).
	fleetImage string

	stop context.CancelFunc // stops the pool's claiming; nil until started
	done chan struct{}      // closed when the pool has drained

	meter *loop // nil without Deps.Metering
	purge *loop // nil without Deps.Purge

	// erasure requests account deletions and, with Deps.Workers, carries them out.
	erasure *erasure.Service
}

// newBackground builds the processor, the webhook handler and, when deps.Workers is set, the
// runner and the pool. The runner fails when tofu cannot be found.
func (s *Server) newBackground(deps Deps) (*background, error) {
	b := &background{}
	proc, err := billing.NewProcessor(billing.ProcessorConfig{
		Store: deps.Store, Stripe: deps.Billing.Fetcher(),
		PastDueGrace: deps.Billing.PastDueGrace, VolumeRetention: deps.Billing.VolumeRetention,
		RotateOnPlanChange: deps.Billing.RotateOnPlanChange,
		Mailer:             deps.Mailer, DashboardURL: s.cfg.PublicURL + "/",
		Wake: b.wake, Metrics: s.metrics, Logger: s.log.With("component", "billing"),
	})
	if err != nil {
		return nil, err
	}
	b.proc = proc
	if b.erasure, err = s.newErasure(deps, b.wake); err != nil {
		return nil, err
	}
	if meter, err := s.newMeter(deps); err != nil {
		return nil, err
	} else if meter != nil {
		b.meter = meterLoop(meter, deps.Metering.Interval)
	}
	if b.purge, err = s.newPurgeLoop(deps); err != nil {
		return nil, err
	}
	b.webhook = billing.NewWebhookHandler(billing.WebhookConfig{
		Store: deps.Store, Secrets: deps.Billing.WebhookSecrets, OnRecorded: b.wake,
		Metrics: s.metrics, Logger: s.log.With("component", "stripe"),
	})
	var stepEvery time.Duration
	var auto string
	if deps.Workers != nil {
		stepEvery, auto = deps.Workers.RolloutStepEvery, deps.Workers.AutoRollout
	}
	b.rollouts, err = rollout.New(rollout.Config{
		Store: deps.Store, Runtime: deps.Runtime, Desired: proc.DesiredNow, Wake: b.wake, StepEvery: stepEvery, AutoRollout: auto,
		Now: s.now, Logger: s.log.With("component", "rollout"),
	})
	if err != nil {
		return nil, err
	}
	if deps.Workers == nil {
		return b, nil
	}
	b.fleetImage = deps.Workers.Runner.Defaults.Image
	if b.fleetImage == "" {
		b.fleetImage = runner.DefaultImage
	}

	rcfg := deps.Workers.Runner
	rcfg.Store, rcfg.Logger = deps.Store, s.log.With("component", "runner")
	if b.runner, err = runner.New(rcfg); err != nil {
		return nil, err
	}
	qcfg := deps.Workers.Queue
	handlers := proc.Handlers()
	handlers[launchpad.JobApply] = func(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
		summary, err := b.runner.Run(ctx, job)
		if err == nil {
			proc.Applied(ctx, job, s.now())
		}
		return summary, err
	}
	handlers[launchpad.JobErasure] = b.erasure.Run
	handlers[launchpad.JobRollout] = b.rollouts.Step
	qcfg.Store, qcfg.Handlers, qcfg.Logger = deps.Store, handlers, s.log.With("component", "queue")
	onFinished := qcfg.OnFinished
	qcfg.OnFinished = func(j *launchpad.Job, err error) {
		s.metrics.jobFinished(j)
		b.rollouts.ApplyFinished(context.Background(), j)
		if onFinished != nil {
			onFinished(j, err)
		}
	}
	if b.pool, err = queue.New(qcfg); err != nil {
		return nil, err
	}
	return b, nil
}

// wake makes idle workers of this process look for work now (a job was just enqueued here).
func (b *background) wake() {
	if b.pool != nil {
		b.pool.Wake()
	}
}

// start runs the metering loop and the pool, if any, until drain.
func (b *background) start(log *slog.Logger) {
	b.meter.start(log)
	b.purge.start(log)
	if b.pool == nil || b.stop != nil {
		return
	}
	b.seedFleet(log)
	ctx, stop := context.WithCancel(context.Background())
	b.stop, b.done = stop, make(chan struct{})
	go func() {
		defer close(b.done)
		if err := b.pool.Run(ctx); err != nil {
			log.Error("the job workers stopped with an error", "error", err.Error())
		}
	}()
}

// beginDrain stops the metering loop and makes the workers stop claiming jobs; running jobs
// get the queue's ShutdownGrace, then tofu gets SIGINT and, after the runner's CancelGrace,
// is killed.
func (b *background) beginDrain() {
	b.meter.cancel()
	b.purge.cancel()
	if b.stop != nil {
		b.stop()
	}
}

// wait blocks until the metering loop has stopped and the pool has drained; at once when it never
// started. It needs no timeout of its own: the pool cancels running jobs after its
// ShutdownGrace and the runner kills tofu CancelGrace after that.
func (b *background) wait() {
	b.meter.wait()
	b.purge.wait()
	if b.done != nil {
		<-b.done
	}
}

// seedFleet stores LAUNCHPAD_IMAGE as the fleet's image when the store has none yet, and
// gives every rollout still moving a step (one whose step job was lost). Once stored, the
// fleet's image changes only through a completed rollout: a different LAUNCHPAD_IMAGE is
// reported, not applied.
func (b *background) seedFleet(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := b.rollouts.SeedFleet(ctx, b.fleetImage)
	switch {
	case err != nil:
		log.Error("the fleet's image could not be read or seeded; tenants get LAUNCHPAD_IMAGE until it is", "error", err.Error())
	case f.Image != b.fleetImage:
		log.Warn("LAUNCHPAD_IMAGE differs from the fleet's stored image, which tenants get; start a rollout to change it", "stored", f.Image, "env", b.fleetImage)
	}
	if err := b.rollouts.EnsureSteps(ctx); err != nil {
		log.Error("rollouts in progress could not be checked for a pending step", "error", err.Error())
	}
}
