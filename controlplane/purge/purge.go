package purge

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The classes a pass purges, as the metrics and the log name them.
const (
	ClassStripePayloads = "stripe_payloads"
	ClassJobLogs        = "job_logs"
	ClassSessions       = "sessions"
	ClassDevices        = "devices"
	ClassSignInCodes    = "sign_in_codes"
	// ClassSnapshots counts retained workspace apps of destroyed tenants deleted at Fly.
	ClassSnapshots = "snapshots"
	// ClassAudit counts audit events archived and trimmed (audit.go).
	ClassAudit = "audit"
)

// retainedBatch bounds the retained workspaces one pass deletes; the next pass goes on.
const retainedBatch = 200

// Metrics counts what the loop does (the control plane's /metrics).
type Metrics interface {
	// Purged counts n records of class erased by this process.
	Purged(class string, n int64)
	// PurgeFailed counts a sweep of class that failed (the next pass tries again).
	PurgeFailed(class string)
	// PurgeRan records when this process last finished a pass.
	PurgeRan(at time.Time)
}

// Deps are what a Purger works with.
type Deps struct {
	Store  launchpad.Store // required
	Config Config
	// Runtime deletes the retained workspace apps of destroyed tenants at Fly; nil (Fly not
	// configured) leaves them, and their records, alone.
	Runtime launchpad.Runtime
	// Metrics counts erased records, failures and passes; nil counts nothing.
	Metrics Metrics
	// Logger receives a line per pass that erased something and per failure; nil discards.
	Logger *slog.Logger
	// AuditLog signs the checkpoint the audit archive's proofs are against; required when
	// Config.Audit is set.
	AuditLog *auditlog.Log
	// Now is the clock the retentions count back from; nil means time.Now.
	Now func() time.Time
}

// Purger runs the passes. It holds no state between them, so any number of replicas may run
// one.
type Purger struct {
	d Deps
}

// New checks d and returns a Purger.
func New(d Deps) (*Purger, error) {
	if d.Store == nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the purge loop needs a store")
	}
	if d.Config.Interval <= 0 {
		d.Config.Interval = DefaultInterval
	}
	if d.Metrics == nil {
		d.Metrics = noMetrics{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Purger{d: d}, nil
}

// Run runs a pass now and then every interval until ctx ends. A failed pass is logged; the
// next one tries again.
func (p *Purger) Run(ctx context.Context) error {
	ticker := time.NewTicker(p.d.Config.Interval)
	defer ticker.Stop()
	for {
		if _, err := p.RunOnce(ctx); err != nil && ctx.Err() == nil {
			p.d.Logger.Warn("purge pass incomplete; the next pass retries", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// RunOnce runs the pass of the current interval window unless another replica (or an
// earlier call) has claimed it; claimed reports whether this call ran it.
func (p *Purger) RunOnce(ctx context.Context) (claimed bool, err error) {
	now := p.d.Now()
	window := now.Truncate(p.d.Config.Interval)
	id := "purge-pass:" + strconv.FormatInt(window.UnixMicro(), 10)
	if err := p.d.Store.UseToken(ctx, id, window.Add(p.d.Config.Interval), now); launchpad.ErrorCode(err) == launchpad.ECONFLICT {
		return false, nil
	} else if err != nil {
		return false, launchpad.Wrapf(err, "claiming the purge pass")
	}
	_, err = p.Sweep(ctx, now)
	return true, err
}

// Sweep erases, in every class with a retention, what is older than now minus it, whether or
// not another replica is sweeping too. It goes on past a class that fails, returns the
// failures joined, and the records erased per class.
func (p *Purger) Sweep(ctx context.Context, now time.Time) (map[string]int64, error) {
	st, c := p.d.Store, p.d.Config
	sweeps := []struct {
		class     string
		retention time.Duration
		sweep     func(context.Context, time.Time) (int64, error)
		// zeroKeepsNone: a retention of 0 erases at once rather than keeping forever.
		zeroKeepsNone bool
	}{
		{ClassStripePayloads, c.StripePayloads, st.PurgeStripePayloads, false},
		{ClassJobLogs, c.JobLogs, st.PurgeJobLogs, false},
		{ClassSessions, c.Sessions, st.PurgeSessions, false},
		{ClassDevices, c.Devices, st.PurgeDevices, false},
		{ClassSignInCodes, c.SignInCodes, st.PurgeSignInCodes, false},
		{ClassSnapshots, c.Snapshots, p.purgeRetainedWorkspaces, true},
		{ClassAudit, c.Audit, p.trimAudit, false},
	}
	erased := map[string]int64{}
	var errs []error
	for _, s := range sweeps {
		if (s.retention == Forever && !s.zeroKeepsNone) || ctx.Err() != nil {
			continue
		}
		n, err := s.sweep(ctx, now.Add(-s.retention))
		if n > 0 {
			erased[s.class] = n
			p.d.Metrics.Purged(s.class, n)
		}
		if err != nil {
			p.d.Metrics.PurgeFailed(s.class)
			errs = append(errs, launchpad.Wrapf(err, "purging %s", s.class))
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	p.d.Metrics.PurgeRan(p.d.Now())
	if len(erased) > 0 {
		args := make([]any, 0, 2*len(erased))
		for class, n := range erased {
			args = append(args, class, n)
		}
		p.d.Logger.Info("purged what is past its retention", args...)
	}
	return erased, errors.Join(errs...)
}

// purgeRetainedWorkspaces deletes at Fly the apps destroyed tenants' workspaces were kept in
// before keptBefore, and with each its snapshot (Fly reaches a snapshot only through its app
// and deletes it with the app), then forgets their records. An app a tenant was restored into
// (a tenant record names it) is left alone; an app already gone counts as deleted.
func (p *Purger) purgeRetainedWorkspaces(ctx context.Context, keptBefore time.Time) (int64, error) {
	if p.d.Runtime == nil {
		return 0, nil
	}
	st := p.d.Store
	kept, err := st.ListRetainedWorkspaces(ctx, keptBefore, retainedBatch)
	if err != nil {
		return 0, err
	}
	var n int64
	var errs []error
	for _, w := range kept {
		if _, err := st.GetTenant(ctx, w.AppName); err == nil {
			continue // a tenant again, or its destroy has not forgotten it yet
		} else if !launchpad.IsNotFound(err) {
			errs = append(errs, err)
			continue
		}
		if err := p.d.Runtime.DeleteApp(ctx, w.AppName); err != nil && !launchpad.IsNotFound(err) {
			errs = append(errs, launchpad.Wrapf(err, "deleting the retained workspace app %s", w.AppName))
			continue
		}
		if err := st.DeleteRetainedWorkspace(ctx, w.AppName); err != nil {
			errs = append(errs, err)
			continue
		}
		p.d.Logger.Info("deleted a destroyed tenant's retained workspace", "app", w.AppName, "snapshot", w.SnapshotID, "kept_at", w.KeptAt)
		n++
	}
	return n, errors.Join(errs...)
}

type noMetrics struct{}

func (noMetrics) Purged(string, int64) {}
func (noMetrics) PurgeFailed(string)   {}
func (noMetrics) PurgeRan(time.Time)   {}
