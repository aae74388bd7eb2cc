package metering

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// act carries out what one pass's transaction decided: machine first, then the audit events
// (which say what happened to the machine), then the email. A failed stop or start is left
// to the next pass, which sees the machine's state and tries again.
func (m *Meter) act(ctx context.Context, log *slog.Logger, t *launchpad.Tenant, u *launchpad.User, obs observation, d decision) error {
	var errs []error
	usage := u.Usage
	hours := func(seconds float64) string { return strconv.FormatFloat(seconds/3600, 'f', 2, 64) }
	base := func(extra map[string]string) map[string]string {
		details := map[string]string{
			"machine":     t.MachineID,
			"app":         t.AppName,
			"cycle_start": formatTime(usage.CycleStart),
			"cycle_end":   formatTime(usage.CycleEnd),
			"hours_used":  hours(usage.MachineSeconds),
		}
		if obs.plan != nil {
			details["plan"] = obs.plan.Name
			details["hours_cap"] = strconv.Itoa(obs.plan.MachineHoursPerCycle)
		}
		for k, v := range extra {
			details[k] = v
		}
		return details
	}
	audit := func(action, target string, details map[string]string) {
		if _, err := m.d.Store.AppendAudit(ctx, &launchpad.AuditEvent{
			Stream: t.UserID, Actor: launchpad.ActorSystem, Action: action, Target: target, Details: details,
		}); err != nil {
			log.Error("audit event not written", "action", action, "error", err.Error())
			errs = append(errs, launchpad.Wrapf(err, "writing audit event %s", action))
		}
	}

	// Machine.
	stopped, started := false, false
	switch {
	case d.capReached && d.machineRunning:
		stopped = m.stop(ctx, log, t, "hour cap reached")
	case d.suspended && t.MachineID != "" && (d.machineRunning || obs.events == nil):
		stopped = m.stop(ctx, log, t, "subscription past due beyond the grace")
	}
	if d.enforceStop {
		m.enforceStop(ctx, log, t)
	}
	if d.holdSuspended {
		m.holdSuspended(ctx, log, t)
	}
	if d.restart {
		started = m.start(ctx, log, t)
		if !started && d.resumed {
			// The suspension is lifted only once the machine runs: put it back, so the next
			// pass resumes again (and tries the start again).
			m.keepSuspended(ctx, log, t, d.suspendedSince)
		}
	}

	// Audit.
	if d.rolled {
		audit(launchpad.AuditCycleReset, t.AppName, base(map[string]string{
			"reason":               "cycle_ended",
			"previous_cycle_start": formatTime(d.previous.start),
			"previous_cycle_end":   formatTime(d.previous.end),
			"previous_hours_used":  hours(d.previousSeconds),
			"machine_started":      strconv.FormatBool(started),
		}))
		log.Info("billing cycle ended without a renewal from Stripe; a new cycle started", "cycle_start", usage.CycleStart, "previous_hours", d.previousSeconds/3600)
	}
	switch {
	case d.capReached:
		audit(launchpad.AuditHourCapReached, t.AppName, base(map[string]string{"machine_stopped": strconv.FormatBool(stopped || !d.machineRunning)}))
		log.Info("hour cap reached", "hours", usage.MachineSeconds/3600, "stopped", stopped)
		m.mailNotice(ctx, log, u, capReachedNotice(u, obs.plan))
	case d.capLifted:
		audit(launchpad.AuditHourCapLifted, t.AppName, base(map[string]string{"machine_started": strconv.FormatBool(started)}))
		log.Info("hour cap raised above the hours used; machine may run again", "started", started)
	case d.restart && !d.rolled && !d.resumed:
		audit(launchpad.AuditCycleReset, t.AppName, base(map[string]string{"reason": "new_cycle", "machine_started": strconv.FormatBool(started)}))
	}
	switch {
	case d.suspended:
		audit(launchpad.AuditTenantSuspended, t.AppName, base(suspensionDetails(u.Subscription, obs, map[string]string{
			"machine_stopped": strconv.FormatBool(stopped || (!d.machineRunning && obs.events != nil)),
		})))
		log.Info("subscription past due beyond the grace: tenant suspended", "stopped", stopped)
		m.mailNotice(ctx, log, u, m.suspendedNotice(u))
	case d.resumed && (started || !d.restart):
		audit(launchpad.AuditTenantResumed, t.AppName, base(map[string]string{
			"status":           u.Subscription.Status,
			"suspended_at":     formatTime(d.suspendedSince),
			"machine_started":  strconv.FormatBool(started),
			"held_by_hour_cap": strconv.FormatBool(!usage.CappedAt.IsZero()),
		}))
		log.Info("subscription paid again: tenant resumed", "started", started, "held_by_hour_cap", !usage.CappedAt.IsZero())
	}
	if d.spendExhausted || d.spendRestored {
		action, what := launchpad.AuditSpendExhausted, "sub-key spend cap reached: model requests answer 402 until the limit is raised or resets"
		if d.spendRestored {
			action, what = launchpad.AuditSpendRestored, "sub-key has spend left again"
		}
		audit(action, obs.key.Hash, spendDetails(obs.key, usage))
		log.Info(what, "key", obs.key.Hash)
		if d.spendExhausted {
			m.mailNotice(ctx, log, u, spendCappedNotice(obs.key, obs.now))
		}
	}
	if d.hoursWarned {
		m.mailNotice(ctx, log, u, hoursWarningNotice(u, obs.plan))
	}
	if d.spendWarned {
		log.Info("sub-key spend crossed the warning share of its limit", "key", obs.key.Hash)
		m.mailNotice(ctx, log, u, spendWarningNotice(obs.key, obs.now))
	}
	return errors.Join(errs...)
}

// stop stops the tenant's machine and records it on the tenant; it reports success.
func (m *Meter) stop(ctx context.Context, log *slog.Logger, t *launchpad.Tenant, why string) bool {
	if err := m.d.Runtime.StopMachine(ctx, t.AppName, t.MachineID); err != nil {
		log.Error("could not stop the machine; the next pass tries again", "why", why, "machine", t.MachineID, "error", err.Error())
		return false
	}
	m.recordState(ctx, log, t, launchpad.MachineStopped)
	return true
}

// enforceStop stops a capped machine that runs again (someone started it); no audit, the cap
// was audited when it was reached.
func (m *Meter) enforceStop(ctx context.Context, log *slog.Logger, t *launchpad.Tenant) {
	if m.stop(ctx, log, t, "hour cap reached earlier in this cycle") {
		log.Warn("a capped machine was running again; stopped it")
	}
}

// start starts the tenant's machine and records it on the tenant; it reports success.
func (m *Meter) start(ctx context.Context, log *slog.Logger, t *launchpad.Tenant) bool {
	if err := m.d.Runtime.StartMachine(ctx, t.AppName, t.MachineID); err != nil {
		log.Error("could not start the machine; the next pass tries again", "machine", t.MachineID, "error", err.Error())
		return false
	}
	m.recordState(ctx, log, t, launchpad.MachineStarted)
	return true
}

// recordState keeps the tenant's MachineState (shown by GET /api/me) in step.
func (m *Meter) recordState(ctx context.Context, log *slog.Logger, t *launchpad.Tenant, state launchpad.MachineState) {
	_, err := m.d.Store.UpdateTenant(ctx, t.AppName, func(rec *launchpad.Tenant) error {
		if rec.MachineID != t.MachineID || rec.MachineState == state {
			return errNoChange
		}
		rec.MachineState = state
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		log.Warn("tenant record not updated with the machine state", "state", state, "error", err.Error())
	}
}

func spendDetails(k *launchpad.KeyInfo, usage launchpad.Usage) map[string]string {
	details := map[string]string{
		"usage_usd": money(k.UsageUSD),
		"cycle_end": formatTime(usage.CycleEnd),
	}
	if k.LimitUSD != nil {
		details["limit_usd"] = money(*k.LimitUSD)
	}
	if k.LimitRemaining != nil {
		details["limit_remaining_usd"] = money(*k.LimitRemaining)
	}
	if k.LimitReset != "" {
		details["limit_reset"] = k.LimitReset
	}
	return details
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
