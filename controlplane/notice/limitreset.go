package notice

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// NextLimitReset returns when OpenRouter next restores the limit of a key whose limit_reset
// is reset, as of now: its resets happen at 00:00 UTC — each day (daily), each Monday
// (weekly, weeks running Monday to Sunday), or on the 1st of each calendar month (monthly).
// A monthly limit therefore comes back on the 1st whatever the day the Stripe billing cycle
// renews. ok is false for a key whose limit never resets by itself ("") or an unknown period.
func NextLimitReset(reset string, now time.Time) (at time.Time, ok bool) {
	now = now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch reset {
	case launchpad.LimitResetDaily:
		return midnight.AddDate(0, 0, 1), true
	case launchpad.LimitResetWeekly:
		daysToMonday := (8 - int(now.Weekday())) % 7 // Sunday is 0
		if daysToMonday == 0 {
			daysToMonday = 7 // a Monday: the next reset is a week away
		}
		return midnight.AddDate(0, 0, daysToMonday), true
	case launchpad.LimitResetMonthly:
		return time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}
