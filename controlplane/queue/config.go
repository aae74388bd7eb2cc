package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Handler does one job. It returns the plan summary to record with the job (apply jobs; the
// zero value otherwise) and nil, or an error for a failed attempt. ctx is cancelled when the
// pool shuts down (after its grace period) or when the job's lease is lost; a handler must
// return promptly then. Wrap an error with Permanent when retrying cannot help.
type Handler func(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error)

// Defaults used for zero Config fields.
const (
	DefaultWorkers       = 2
	DefaultLease         = 2 * time.Minute
	DefaultPoll          = time.Second
	DefaultShutdownGrace = 30 * time.Second
	DefaultFinishTimeout = 10 * time.Second
)

// Config configures a Pool. Store and Handlers are required; every other zero field gets its
// default.
type Config struct {
	Store launchpad.JobStore
	// Handlers maps a job kind (launchpad.JobApply, launchpad.JobStripeEvent, …) to the code
	// that runs it. The pool claims only these kinds.
	Handlers map[string]Handler

	// Workers is how many jobs run at once in this process (LAUNCHPAD_WORKERS, default 2).
	Workers int
	// Lease is how long a claimed job belongs to its worker without a heartbeat (default 2m):
	// it bounds how long a dead worker's job waits before another worker reclaims it.
	Lease time.Duration
	// Heartbeat is how often a running job's lease is extended (default Lease/3, so two
	// heartbeats may fail before the lease runs out).
	Heartbeat time.Duration
	// Poll is how often an idle worker asks the store for work (default 1s). Wake makes it
	// ask at once.
	Poll time.Duration
	// Backoff is the delay before retry number attempt (1 after the first failure); nil
	// means DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// ShutdownGrace is how long running jobs may keep running after Run's context is
	// cancelled before their own contexts are cancelled (default 30s).
	ShutdownGrace time.Duration
	// FinishTimeout bounds the FinishJob call made after a job returns (default 10s).
	FinishTimeout time.Duration

	// WorkerID names this process in job leases; each worker appends "/N". Default:
	// hostname-pid-random, unique per process.
	WorkerID string
	// Now is the clock used for claims, heartbeats and finishes (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger

	// OnFinished, if set, is called after each job the pool finished (successfully stored
	// or not): the job as stored (nil if FinishJob failed) and the handler's error. For
	// metrics and tests; it must not block.
	OnFinished func(job *launchpad.Job, err error)
}

// WorkersFromEnv reads LAUNCHPAD_WORKERS (default DefaultWorkers). The error names the
// variable and what a valid value is.
func WorkersFromEnv(getenv func(string) string) (int, error) {
	v := getenv(settings.Workers)
	if v == "" {
		return DefaultWorkers, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("LAUNCHPAD_WORKERS=%q is not valid: use a whole number of workers from 1 to 64 (default %d)", launchpad.Clip(v, 20), DefaultWorkers)
	}
	return n, nil
}

// EnvConfig reads the pool's settings from the environment: LAUNCHPAD_WORKERS (default 2),
// LAUNCHPAD_JOB_LEASE (default 2m; how soon a dead replica's job is taken over) and
// LAUNCHPAD_JOB_SHUTDOWN_GRACE (default 30s; how long running applies may finish on
// shutdown before they are interrupted). Store, Handlers and the rest are left for the
// caller. The error lists every invalid setting.
func EnvConfig(getenv func(string) string) (Config, error) {
	var c Config
	var problems []error
	var err error
	if c.Workers, err = WorkersFromEnv(getenv); err != nil {
		problems = append(problems, err)
	}
	if c.Lease, err = durationFromEnv(getenv, settings.JobLease, DefaultLease, 10*time.Second, time.Hour); err != nil {
		problems = append(problems, err)
	}
	if c.ShutdownGrace, err = durationFromEnv(getenv, settings.JobShutdownGrace, DefaultShutdownGrace, time.Second, time.Hour); err != nil {
		problems = append(problems, err)
	}
	return c, errors.Join(problems...)
}

func durationFromEnv(getenv func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s=%q is not valid: use a duration from %s to %s such as %s (default %s)", name, launchpad.Clip(v, 20), lo, hi, def, def)
	}
	return d, nil
}

// withDefaults returns c with every zero field set, or an error naming what is wrong.
func (c Config) withDefaults() (Config, error) {
	var problems []error
	if c.Store == nil {
		problems = append(problems, errors.New("queue: Config.Store is nil"))
	}
	if len(c.Handlers) == 0 {
		problems = append(problems, errors.New("queue: Config.Handlers is empty; register a handler for each job kind"))
	}
	for kind, h := range c.Handlers {
		if kind == "" || h == nil {
			problems = append(problems, fmt.Errorf("queue: handler for kind %q is nil or has no kind", kind))
		}
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Workers < 0 {
		problems = append(problems, fmt.Errorf("queue: Workers is %d; use 1 or more (LAUNCHPAD_WORKERS)", c.Workers))
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = c.Lease / 3
	}
	if c.Lease < 0 || c.Heartbeat <= 0 || c.Heartbeat >= c.Lease {
		problems = append(problems, fmt.Errorf("queue: Heartbeat (%s) must be positive and shorter than Lease (%s)", c.Heartbeat, c.Lease))
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.FinishTimeout <= 0 {
		c.FinishTimeout = DefaultFinishTimeout
	}
	if c.WorkerID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "worker"
		}
		c.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), launchpad.NewID(6))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, errors.Join(problems...)
}
