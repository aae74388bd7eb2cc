package metering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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

// mailSuspended tells the user their machine was stopped for an unpaid invoice. It is sent
// once, by the pass that suspended the tenant; a failure is logged, not retried (the audit
// panel shows the suspension either way).
func (m *Meter) mailSuspended(ctx context.Context, log *slog.Logger, u *launchpad.User, t *launchpad.Tenant, obs observation) {
	if m.d.Mailer == nil || u.Email == "" {
		return
	}
	if err := m.d.Mailer.Send(ctx, suspendedMessage(u, t, obs, m.d.DashboardURL)); err != nil {
		log.Error("suspension email not sent", "error", err.Error())
	}
}

func suspendedMessage(u *launchpad.User, t *launchpad.Tenant, obs observation, dashboard string) launchpad.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	fmt.Fprintf(&b, "The last payment for your Launchpad subscription did not go through, and it is still unpaid %s later, so your agent's machine (%s) has been stopped.\n",
		humanDuration(obs.grace), t.AppName)
	fmt.Fprintf(&b, "\nIt starts again by itself once the invoice is paid: update your payment method or pay the open invoice in your billing portal.\n")
	fmt.Fprintf(&b, "Your workspace volume is kept as it is for now; nothing on it is lost yet. If the subscription stays unpaid, the machine and its volume are deleted after the retention period.\n")
	if dashboard != "" {
		fmt.Fprintf(&b, "\nYour account: %s\n", dashboard)
	}
	fmt.Fprintf(&b, "\n— Launchpad\n")
	return launchpad.Message{To: u.Email, Subject: "Your Launchpad machine was stopped: your subscription is unpaid", Text: b.String()}
}

// humanDuration says 72h as "3 days" and 90m as "1h30m0s".
func humanDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n > 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}
