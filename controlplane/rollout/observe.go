package rollout

import (
	"context"
	"fmt"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// seenTenant is a tenant whose outcome a step saw change: was as read, now as it is to be.
type seenTenant struct {
	was, now launchpad.RolloutTenant
}

// observe looks at every tenant in flight — its apply or rollback job, and once applied its
// machine — and returns those whose outcome changed, by index.
func (e *Engine) observe(ctx context.Context, r *launchpad.Rollout) (map[int]seenTenant, error) {
	seen := map[int]seenTenant{}
	now := e.cfg.Now()
	for i, t := range r.Tenants {
		was := t
		switch t.Status {
		case launchpad.TenantApplying:
			j, err := e.cfg.Store.GetJob(ctx, t.Job)
			switch {
			case launchpad.IsNotFound(err):
				t.Status, t.Job = launchpad.TenantPending, "" // never stored: enqueue again
			case err != nil:
				return nil, err
			case j.Status == launchpad.JobSuperseded:
				// A newer apply of the user replaced it before it ran: the tenant is untouched.
				t.Status, t.Job = launchpad.TenantPending, ""
			case j.Status == launchpad.JobFailed:
				t.Status, t.Error, t.DoneAt = launchpad.TenantFailed, "apply failed: "+j.Error, now
			case j.Status == launchpad.JobSucceeded:
				t.Status, t.AppliedAt = launchpad.TenantChecking, now
				if r.State == launchpad.RolloutAborted {
					t.Status, t.DoneAt = launchpad.TenantSucceeded, now // it is put back next, healthy or not
					break
				}
				if err := e.check(ctx, r, &t); err != nil {
					return nil, err
				}
			}
		case launchpad.TenantChecking:
			if err := e.check(ctx, r, &t); err != nil {
				return nil, err
			}
		case launchpad.TenantRollingBack:
			j, err := e.cfg.Store.GetJob(ctx, t.RollbackJob)
			switch {
			case launchpad.IsNotFound(err):
				t.Status, t.RollbackJob = launchpad.TenantFailed, ""
			case err != nil:
				return nil, err
			case j.Status == launchpad.JobSucceeded, j.Status == launchpad.JobSuperseded:
				// Superseded: a newer apply of the user's own state (on the fleet's image,
				// which the aborted rollout never changed) replaced the rollback.
				t.Status, t.DoneAt, t.Error = launchpad.TenantRolledBack, now, ""
			case j.Status == launchpad.JobFailed:
				t.Status, t.DoneAt, t.Error = launchpad.TenantFailed, now, "rollback failed: "+j.Error
			}
		}
		if t != was {
			seen[i] = seenTenant{was: was, now: t}
		}
	}
	return seen, nil
}

// check is the health gate of an applied tenant: done when its machine is started and passes
// every check, failed once the health timeout has passed since the apply.
func (e *Engine) check(ctx context.Context, r *launchpad.Rollout, t *launchpad.RolloutTenant) error {
	healthy, why, err := e.healthy(ctx, t.UserID)
	if err != nil {
		return err
	}
	now := e.cfg.Now()
	switch {
	case healthy:
		t.Status, t.DoneAt, t.Error = launchpad.TenantSucceeded, now, ""
	case now.Sub(t.AppliedAt) >= r.Policy.HealthTimeout:
		t.Status, t.DoneAt = launchpad.TenantFailed, now
		t.Error = fmt.Sprintf("not healthy within the health timeout (%s): %s", r.Policy.HealthTimeout, why)
	}
	return nil
}

// healthy reads the user's tenant machine: started and every check passing. why says what
// is not yet so.
func (e *Engine) healthy(ctx context.Context, userID string) (ok bool, why string, err error) {
	if e.cfg.Runtime == nil {
		return true, "", nil
	}
	tenants, err := e.cfg.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return false, "", err
	}
	if len(tenants) == 0 || tenants[0].MachineID == "" {
		return false, "the tenant has no machine", nil
	}
	t := tenants[0]
	m, err := e.cfg.Runtime.GetMachine(ctx, t.AppName, t.MachineID)
	if launchpad.IsNotFound(err) {
		return false, "machine " + t.MachineID + " of " + t.AppName + " is gone", nil
	} else if err != nil {
		// Fly briefly away is no verdict on the tenant: the next step looks again.
		e.cfg.Logger.Warn("reading a rollout tenant's machine failed; looking again next step", "app", t.AppName, "machine", t.MachineID, "error", err)
		return false, "the machine could not be read: " + launchpad.ErrorMessage(err), nil
	}
	if m.Healthy() {
		return true, "", nil
	}
	var checks []string
	for _, c := range m.CheckStatuses {
		checks = append(checks, c.Name+" "+c.Status+": "+launchpad.Clip(c.Output, 120))
	}
	return false, fmt.Sprintf("machine %s is %s, checks [%s]", m.ID, m.State, strings.Join(checks, "; ")), nil
}
