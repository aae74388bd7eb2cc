package metering

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// cycle is a billing cycle, [start, end).
type cycle struct {
	start, end time.Time
}

func (c cycle) contains(t time.Time) bool { return !t.Before(c.start) && t.Before(c.end) }

// firstCycle is the cycle a user's metering starts in: the Stripe subscription's current
// period when it holds now, else the period rolled forward by months until it does (Stripe
// has not told us about the renewal yet), else — no subscription — the calendar month (UTC).
func firstCycle(sub launchpad.Subscription, now time.Time) cycle {
	period := cycle{sub.CurrentPeriodStart.UTC(), sub.CurrentPeriodEnd.UTC()}
	switch {
	case period.start.IsZero() || !period.end.After(period.start) || now.Before(period.start):
		return calendarMonth(now)
	case period.contains(now):
		return period
	default:
		return rollForward(period.end, now)
	}
}

// nextCycle is the cycle that follows one that ended at end, holding now: the subscription's
// period when Stripe has already moved it there, else monthly steps from end — the way a
// monthly Stripe subscription renews and a calendar month follows the last.
func nextCycle(sub launchpad.Subscription, end, now time.Time) cycle {
	period := cycle{sub.CurrentPeriodStart.UTC(), sub.CurrentPeriodEnd.UTC()}
	if !period.start.Before(end) && period.end.After(period.start) && period.contains(now) {
		return period
	}
	return rollForward(end, now)
}

// rollForward steps month by month from start, keeping start's day of the month as the
// anchor (as Stripe does), until the cycle holds now.
func rollForward(start, now time.Time) cycle {
	start = start.UTC()
	c := cycle{start, addMonths(start, 1)}
	for n := 2; !now.Before(c.end); n++ {
		c = cycle{c.end, addMonths(start, n)}
	}
	return c
}

// addMonths adds n months the way Stripe renews: the anchor's day of the month, or the
// month's last day when it is shorter (Jan 31 → Feb 28 → Mar 31), not Go's overflow into the
// month after.
func addMonths(anchor time.Time, n int) time.Time {
	next := anchor.AddDate(0, n, 0)
	if next.Day() != anchor.Day() {
		next = next.AddDate(0, 0, -next.Day()) // the last day of the intended month
	}
	return next
}

// calendarMonth is the UTC calendar month holding t.
func calendarMonth(t time.Time) cycle {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return cycle{start, start.AddDate(0, 1, 0)}
}
