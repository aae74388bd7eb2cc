package metering

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// holdSuspended stops a suspended tenant's machine that runs again (someone started it, or an
// apply made a new one); no audit, the suspension was audited when it began.
func (m *Meter) holdSuspended(ctx context.Context, log *slog.Logger, t *launchpad.Tenant) {
	if m.stop(ctx, log, t, "subscription past due beyond the grace") {
		log.Warn("a suspended tenant's machine was running again; stopped it")
	}
}

// keepSuspended puts a lifted suspension back after the machine failed to start, so that the
// next pass resumes the tenant again. Nothing is written if a newer suspension is in place.
func (m *Meter) keepSuspended(ctx context.Context, log *slog.Logger, t *launchpad.Tenant, since time.Time) {
	_, err := m.d.Store.UpdateUser(ctx, t.UserID, func(u *launchpad.User) error {
		if !u.Control.SuspendedAt.IsZero() {
			return errNoChange
		}
		u.Control.SuspendedAt = since
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		log.Error("the machine did not start and the suspension could not be restored; start it by hand", "error", err.Error())
	}
}

// suspensionDetails are the audit details that say why a tenant was suspended.
func suspensionDetails(sub launchpad.Subscription, obs observation, extra map[string]string) map[string]string {
	since := sub.PastDueSince
	if since.IsZero() {
		since = sub.EventCreated
	}
	details := map[string]string{
		"status":         sub.Status,
		"past_due_since": formatTime(since),
		"grace":          obs.grace.String(),
		"overdue_at":     formatTime(sub.OverdueAt(obs.grace)),
	}
	for k, v := range extra {
		details[k] = v
	}
	return details
}
