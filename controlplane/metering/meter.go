package metering

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Clock tells the meter what time it is; *sim.ManualClock satisfies it in tests.
type Clock interface {
	Now() time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// DefaultWorkers is how many tenants one pass meters at once when Deps.Workers is 0.
const DefaultWorkers = 4

// Deps are what a Meter works with.
type Deps struct {
	Store   launchpad.Store   // required
	Runtime launchpad.Runtime // required: machine events, stop and start
	// Keys reads the tenants' sub-keys for the spend cap; nil skips the spend cap.
	Keys launchpad.KeyIssuer
	// Mailer sends the account notices; nil sends none (the audit events are still written).
	Mailer launchpad.Mailer
	// Clock is the time metering counts to; nil means the wall clock. It must agree with the
	// clock that stamps machine events (Fly's, or the simulator's).
	Clock Clock
	// Logger receives one line per action and per problem; nil discards.
	Logger *slog.Logger
	// Workers bounds how many tenants are metered at once; 0 means DefaultWorkers.
	Workers int
	// DashboardURL, if set, is linked from the account notice emails (hour cap, 80% of the
	// hours, spend limit, suspension).
	DashboardURL string
	// VolumeRetention is how long a lapsed subscription's tenant is kept before billing
	// deletes it (LAUNCHPAD_VOLUME_RETENTION), for the suspension email's deletion date; 0
	// means launchpad.DefaultVolumeRetention.
	VolumeRetention time.Duration
	// PastDueGrace is how long a past-due subscription keeps its machine running before the
	// meter suspends it (LAUNCHPAD_PAST_DUE_GRACE, the billing processor's setting, so the
	// two agree); 0 means launchpad.DefaultPastDueGrace.
	PastDueGrace time.Duration
}

// Meter meters machine hours and watches spend caps (see the package documentation). It
// holds no state between passes: everything is in the store, so any number of replicas may
// run it at once.
type Meter struct {
	d Deps
}

// New checks d and returns a Meter.
func New(d Deps) (*Meter, error) {
	switch {
	case d.Store == nil:
		return nil, launchpad.Errorf(launchpad.EINVALID, "metering needs a store")
	case d.Runtime == nil:
		return nil, launchpad.Errorf(launchpad.EINVALID, "metering needs a runtime (the Fly client) to read machine events")
	}
	if d.Clock == nil {
		d.Clock = wallClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Workers <= 0 {
		d.Workers = DefaultWorkers
	}
	switch {
	case d.PastDueGrace < 0:
		return nil, launchpad.Errorf(launchpad.EINVALID, "the past-due grace cannot be negative, got %s", d.PastDueGrace)
	case d.PastDueGrace == 0:
		d.PastDueGrace = launchpad.DefaultPastDueGrace
	}
	if d.VolumeRetention <= 0 {
		d.VolumeRetention = launchpad.DefaultVolumeRetention
	}
	return &Meter{d: d}, nil
}

// Run runs a pass now and then every interval until ctx ends. A failed pass is logged and the
// next one runs as planned: passes are idempotent, so nothing is lost by retrying.
func (m *Meter) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return launchpad.Errorf(launchpad.EINVALID, "the metering interval must be positive, got %s", interval)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := m.RunOnce(ctx); err != nil && ctx.Err() == nil {
			m.d.Logger.Warn("metering pass incomplete; the next pass retries", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// RunOnce meters every tenant once. It goes on past a tenant that fails and returns the
// failures joined.
func (m *Meter) RunOnce(ctx context.Context) error {
	tenants, err := m.d.Store.ListTenants(ctx, launchpad.TenantFilter{})
	if err != nil {
		return launchpad.Wrapf(err, "metering: listing tenants")
	}
	plans, err := m.d.Store.ListPlans(ctx)
	if err != nil {
		return launchpad.Wrapf(err, "metering: listing plans")
	}
	byName := make(map[string]*launchpad.Plan, len(plans))
	for _, p := range plans {
		byName[p.Name] = p
	}

	work := m.tenantsToMeter(tenants)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, m.d.Workers)
	)
	for _, t := range work {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := m.meterTenant(ctx, t, byName); err != nil {
				mu.Lock()
				errs = append(errs, launchpad.Wrapf(err, "metering tenant %s", t.AppName))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// tenantsToMeter picks the tenants to meter: one per user. Usage is kept on the user record
// and carries one machine's open run, and Launchpad gives each paying user one tenant; a
// user with several is logged and skipped rather than metered wrongly.
func (m *Meter) tenantsToMeter(tenants []*launchpad.Tenant) []*launchpad.Tenant {
	byUser := map[string][]*launchpad.Tenant{}
	var order []string
	for _, t := range tenants {
		if t.UserID == "" {
			continue
		}
		if _, seen := byUser[t.UserID]; !seen {
			order = append(order, t.UserID)
		}
		byUser[t.UserID] = append(byUser[t.UserID], t)
	}
	out := make([]*launchpad.Tenant, 0, len(order))
	for _, id := range order {
		ts := byUser[id]
		if len(ts) > 1 {
			apps := make([]string, len(ts))
			for i, t := range ts {
				apps[i] = t.AppName
			}
			m.d.Logger.Error("user has several tenants; hours are metered for one tenant per user, so none of these is metered", "user", id, "apps", apps)
			continue
		}
		out = append(out, ts[0])
	}
	return out
}

// errNoChange aborts an UpdateUser that would write nothing new.
var errNoChange = errors.New("metering: nothing changed")

// meterTenant runs one tenant's pass: observe the machine and the key, decide in one user
// transaction, then act on what that transaction (and only it) decided.
func (m *Meter) meterTenant(ctx context.Context, t *launchpad.Tenant, plans map[string]*launchpad.Plan) error {
	log := m.d.Logger.With("user", t.UserID, "app", t.AppName)
	// The time is read before the events, so every event up to it is in the list.
	obs := observation{now: m.d.Clock.Now().UTC(), grace: m.d.PastDueGrace}
	if t.MachineID != "" {
		events, err := m.d.Runtime.MachineEvents(ctx, t.AppName, t.MachineID)
		switch {
		case launchpad.IsNotFound(err):
			log.Debug("machine not found; hours not metered this pass", "machine", t.MachineID)
		case err != nil:
			return err
		default:
			obs.events = append(make([]*launchpad.MachineEvent, 0, len(events)), events...)
		}
	}
	if m.d.Keys != nil && t.SubKeyHash != "" {
		key, err := m.d.Keys.GetKey(ctx, t.SubKeyHash)
		switch {
		case launchpad.IsNotFound(err):
			log.Debug("sub-key not found at OpenRouter; spend cap not checked", "key", t.SubKeyHash)
		case err != nil:
			log.Warn("sub-key could not be read; spend cap not checked this pass", "key", t.SubKeyHash, "error", err.Error())
		default:
			obs.key = key
		}
	}

	var d decision
	u, err := m.d.Store.UpdateUser(ctx, t.UserID, func(u *launchpad.User) error {
		obs.plan = planFor(u, t, plans)
		before, suspendedBefore := u.Usage, u.Control.SuspendedAt
		before.Days = slices.Clone(u.Usage.Days) // step changes the days in place
		d = step(u, obs)
		if sameUsage(before, u.Usage) && suspendedBefore.Equal(u.Control.SuspendedAt) {
			return errNoChange
		}
		return nil
	})
	switch {
	case errors.Is(err, errNoChange):
		if d.enforceStop {
			m.enforceStop(ctx, log, t)
		}
		if d.holdSuspended {
			m.holdSuspended(ctx, log, t)
		}
		return nil
	case launchpad.IsNotFound(err):
		log.Debug("tenant's user not found; not metered")
		return nil
	case err != nil:
		return err
	}
	return m.act(ctx, log, t, u, obs, d)
}

// planFor is the plan whose caps apply (launchpad.CapsPlan), from the plans read for this pass.
func planFor(u *launchpad.User, t *launchpad.Tenant, plans map[string]*launchpad.Plan) *launchpad.Plan {
	p, _ := launchpad.CapsPlan(u, t, func(name string) (*launchpad.Plan, error) {
		if p, ok := plans[name]; ok {
			return p, nil
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no plan %s", name)
	})
	return p
}
