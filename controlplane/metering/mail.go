package metering

import (
	"context"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// mailNotice emails the user n, in the overview's words. The callers send it only from the
// pass whose transaction recorded the occurrence (the hour cap reached, the suspension, the
// spend limit reached, 80% of the hours or of the spend limit crossed), so each goes once per occurrence; a failure
// is logged, not retried (the overview and the audit panel show the state either way).
func (m *Meter) mailNotice(ctx context.Context, log *slog.Logger, u *launchpad.User, n notice.Notice) {
	if m.d.Mailer == nil || u.Email == "" {
		return
	}
	if err := m.d.Mailer.Send(ctx, notice.Mail(u.Email, n, m.d.DashboardURL)); err != nil {
		log.Error("account notice email not sent", "notice", n.Kind, "error", err.Error())
	}
}

// capReachedNotice is the hour cap's notice for u on plan.
func capReachedNotice(u *launchpad.User, plan *launchpad.Plan) notice.Notice {
	return notice.HourCappedNotice(plan.MachineHoursPerCycle, u.Usage.CappedAt, u.Usage.CycleEnd)
}

// suspendedNotice is the suspension's notice for u: the tenant is deleted the retention after
// the grace ran out, unless the invoice is paid.
func (m *Meter) suspendedNotice(u *launchpad.User) notice.Notice {
	sub := u.Subscription
	_, deleteAt := sub.Lapse(m.d.PastDueGrace, m.d.VolumeRetention)
	since := sub.PastDueSince
	if since.IsZero() {
		since = sub.EventCreated
	}
	return notice.SuspendedNotice(since, u.Control.SuspendedAt, deleteAt)
}

// spendCappedNotice is the spend limit's notice for key k, read at now.
func spendCappedNotice(k *launchpad.KeyInfo, now time.Time) notice.Notice {
	return notice.SpendCappedNotice(k.LimitUSD, limitResetAt(k, now))
}

// hoursWarningNotice is the notice of 80% of the cycle's hours used.
func hoursWarningNotice(u *launchpad.User, plan *launchpad.Plan) notice.Notice {
	return notice.HoursWarningNotice(u.Usage.Hours(), plan.MachineHoursPerCycle, u.Usage.CycleEnd)
}

// spendWarningNotice is the notice of 80% of key k's spend limit used, read at now (k has a
// limit: the pass warns only then).
func spendWarningNotice(k *launchpad.KeyInfo, now time.Time) notice.Notice {
	return notice.SpendWarningNotice(k.UsageUSD, *k.LimitUSD, limitResetAt(k, now))
}

// limitResetAt is when OpenRouter restores k's limit by itself after now; nil when never.
func limitResetAt(k *launchpad.KeyInfo, now time.Time) *time.Time {
	if at, ok := notice.NextLimitReset(k.LimitReset, now); ok {
		return &at
	}
	return nil
}
