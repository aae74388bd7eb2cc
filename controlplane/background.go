package controlplane

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
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
}

// background is the part of the server that is not request handling: the Stripe processor
// (always: the admin re-trigger needs it), the webhook handler, with Deps.Workers the runner
// and the worker pool, and with Deps.Metering the metering loop.
type background struct {
	proc    *billing.Processor
	webhook http.Handler
	runner  *runner.Runner
	pool    *queue.Pool

	stop context.CancelFunc // stops the pool's claiming; nil until started
	done chan struct{}      // closed when the pool has drained

	meter *meterLoop // nil without Deps.Metering
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
	if meter, err := s.newMeter(deps); err != nil {
		return nil, err
	} else if meter != nil {
		b.meter = &meterLoop{meter: meter, interval: deps.Metering.Interval}
	}
	b.webhook = billing.NewWebhookHandler(billing.WebhookConfig{
		Store: deps.Store, Secrets: deps.Billing.WebhookSecrets, OnRecorded: b.wake,
		Metrics: s.metrics, Logger: s.log.With("component", "stripe"),
	})
	if deps.Workers == nil {
		return b, nil
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
	qcfg.Store, qcfg.Handlers, qcfg.Logger = deps.Store, handlers, s.log.With("component", "queue")
	onFinished := qcfg.OnFinished
	qcfg.OnFinished = func(j *launchpad.Job, err error) {
		s.metrics.jobFinished(j)
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
	if b.pool == nil || b.stop != nil {
		return
	}
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
	if b.stop != nil {
		b.stop()
	}
}

// wait blocks until the metering loop has stopped and the pool has drained; at once when it never
// started. It needs no timeout of its own: the pool cancels running jobs after its
// ShutdownGrace and the runner kills tofu CancelGrace after that.
func (b *background) wait() {
	b.meter.wait()
	if b.done != nil {
		<-b.done
	}
}
