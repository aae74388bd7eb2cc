package launchpad

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day is how the duration settings count a day: 24 hours, whatever the calendar says.
const Day = 24 * time.Hour

// ParseDuration reads a duration setting: Go's syntax (90m, 72h) or a number of days (30d,
// 1.5d), the unit operators think of retentions and grace periods in.
func ParseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > float64(1<<62)/float64(Day) {
			return 0, fmt.Errorf("%q is not a number of days", v)
		}
		return time.Duration(n * float64(Day)), nil
	}
	return time.ParseDuration(v)
}

// FormatDuration writes d the way ParseDuration reads it: whole days as 30d.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}
