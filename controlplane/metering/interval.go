package metering

import (
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Bounds of LAUNCHPAD_METER_INTERVAL. The interval is also how far past the cap a machine can
// run before a pass stops it.
const (
	DefaultInterval = time.Minute
	MinInterval     = time.Second
	MaxInterval     = time.Hour
)

// ParseInterval reads LAUNCHPAD_METER_INTERVAL: "" means DefaultInterval, "off" (or "0")
// disables metering in this process (another replica meters), anything else is a Go duration
// between MinInterval and MaxInterval ("30s", "5m").
func ParseInterval(v string) (interval time.Duration, enabled bool, err error) {
	switch s := strings.TrimSpace(v); s {
	case "":
		return DefaultInterval, true, nil
	case "off", "0":
		return 0, false, nil
	default:
		d, err := time.ParseDuration(s)
		if err != nil || d < MinInterval || d > MaxInterval {
			return 0, false, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_METER_INTERVAL %q is not a duration between %s and %s (such as 30s or 5m), or off", launchpad.Clip(s, 40), MinInterval, MaxInterval)
		}
		return d, true, nil
	}
}
