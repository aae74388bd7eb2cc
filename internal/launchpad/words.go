package launchpad

import (
	"strconv"
	"time"
)

// DurationWords says a whole duration the way messages to users do: "5 minutes", "1 hour",
// "90 seconds" (the largest unit that divides it; seconds rounded).
func DurationWords(d time.Duration) string {
	n, unit := int64(d.Round(time.Second)/time.Second), "second"
	switch {
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	case d%time.Minute == 0:
		n, unit = int64(d/time.Minute), "minute"
	}
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
