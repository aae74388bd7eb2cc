package billing

import (
	"context"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// lifecycleMoves are the moves of a subscription a customer is emailed about. Each is
// noticed by the one transaction that makes it (a replayed or older event changes nothing,
// so moves nothing), which makes each email go once per occurrence.
type lifecycleMoves struct {
	pastDue    bool // a payment failed: PastDueSince was set
	ended      bool // the subscription ended (canceled or expired)
	cancelling bool // the subscription was set to cancel at the period's end
}

// lifecycleOf is the part of a user's record the moves are read from.
type lifecycleOf struct {
	pastDue, ended, cancelling bool
}

func lifecycle(u *launchpad.User) lifecycleOf {
	sub := u.Subscription
	return lifecycleOf{
		pastDue:    !sub.PastDueSince.IsZero(),
		ended:      launchpad.SubscriptionEnded(sub.Status),
		cancelling: sub.CancelAtPeriodEnd && launchpad.SubscriptionRunning(sub.Status),
	}
}

func moves(before, after lifecycleOf) lifecycleMoves {
	return lifecycleMoves{
		pastDue:    !before.pastDue && after.pastDue,
		ended:      !before.ended && after.ended,
		cancelling: !before.cancelling && after.cancelling,
	}
}

// mailMoves emails u about each move, in the words the overview shows for the state it led
// to. A failure is logged, not retried (the overview and the audit show the state either way).
func (p *Processor) mailMoves(ctx context.Context, log *slog.Logger, u *launchpad.User, m lifecycleMoves) {
	if p.cfg.Mailer == nil || u.Email == "" {
		return
	}
	sub := u.Subscription
	lapse, destroyAt := p.Lapse(u)
	var ns []notice.Notice
	switch {
	case m.ended:
		ns = append(ns, notice.CancelledNotice(lapse, destroyAt, p.cfg.Now()))
	case m.cancelling && !sub.CurrentPeriodEnd.IsZero():
		ns = append(ns, notice.CancelledNotice(sub.CurrentPeriodEnd, sub.CurrentPeriodEnd.Add(p.cfg.VolumeRetention), p.cfg.Now()))
	}
	if m.pastDue && !m.ended {
		ns = append(ns, notice.PastDueNotice(sub.PastDueSince, sub.OverdueAt(p.cfg.PastDueGrace)))
	}
	for _, n := range ns {
		if err := p.cfg.Mailer.Send(ctx, notice.Mail(u.Email, n, p.cfg.DashboardURL)); err != nil {
			log.Error("account notice email not sent", "notice", n.Kind, "error", err.Error())
		}
	}
}

// Applied is told of each apply job that succeeded: after the destroy of a lapsed
// subscription's tenant, the customer is emailed that their agent was deleted. (The queue
// calls it once per job that finishes; a worker that dies between the apply and its record
// would run the job, and so this, again.)
func (p *Processor) Applied(ctx context.Context, job *launchpad.Job, finishedAt time.Time) {
	d, err := launchpad.ParseApplyRequest(job.Payload)
	if err != nil || !d.Destroy || (d.Reason != launchpad.ReasonEnded && d.Reason != launchpad.ReasonSuspended) || p.cfg.Mailer == nil {
		return
	}
	u, err := p.cfg.Store.GetUser(ctx, d.UserID)
	if err != nil || u.Email == "" {
		return
	}
	if err := p.cfg.Mailer.Send(ctx, notice.Mail(u.Email, notice.TornDownNotice(finishedAt), p.cfg.DashboardURL)); err != nil {
		p.cfg.Logger.Error("teardown email not sent", "user", u.ID, "error", err.Error())
	}
}
