package purge

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Defaults of the retention settings and the purge interval.
const (
	DefaultInterval       = time.Hour
	DefaultStripePayloads = 30 * 24 * time.Hour
	DefaultJobLogs        = 90 * 24 * time.Hour
	DefaultSessions       = 30 * 24 * time.Hour
	DefaultDevices        = 365 * 24 * time.Hour
	DefaultSignInCodes    = 24 * time.Hour

	// MinInterval and MaxInterval bound LAUNCHPAD_PURGE_INTERVAL.
	MinInterval = time.Second
	MaxInterval = 24 * time.Hour
	// MinRetention and MaxRetention bound every retention duration.
	MinRetention = time.Second
	MaxRetention = 3650 * 24 * time.Hour
)

// Forever is the retention of a class the loop never purges ("forever").
const Forever time.Duration = 0

// Config is what the loop erases, and when.
type Config struct {
	// Interval between passes (LAUNCHPAD_PURGE_INTERVAL); 0 means DefaultInterval.
	Interval time.Duration
	// How long each class is kept; Forever keeps it.
	StripePayloads, JobLogs, Sessions, Devices, SignInCodes time.Duration
}

// Defaults is the configuration with every setting unset.
func Defaults() Config {
	return Config{
		Interval: DefaultInterval, StripePayloads: DefaultStripePayloads, JobLogs: DefaultJobLogs,
		Sessions: DefaultSessions, Devices: DefaultDevices, SignInCodes: DefaultSignInCodes,
	}
}

// LoadEnv reads LAUNCHPAD_PURGE_INTERVAL and the retention settings (LAUNCHPAD_RETENTION_STRIPE_PAYLOADS and the four after it in the settings table). Unset
// values get their defaults; the error names every setting that is not valid and says what
// it takes.
func LoadEnv(getenv func(string) string) (Config, error) {
	c := Defaults()
	var problems []error
	if v := strings.TrimSpace(getenv(settings.PurgeInterval)); v != "" {
		d, err := launchpad.ParseDuration(v)
		if err != nil || d < MinInterval || d > MaxInterval {
			problems = append(problems, fmt.Errorf("%s=%q is not valid: use a duration from %s to %s such as 1h or 15m (default %s)",
				settings.PurgeInterval, launchpad.Clip(v, 40), MinInterval, MaxInterval, DefaultInterval))
		} else {
			c.Interval = d
		}
	}
	for _, r := range []struct {
		name string
		dst  *time.Duration
	}{
		{settings.RetentionStripePayloads, &c.StripePayloads},
		{settings.RetentionJobLogs, &c.JobLogs},
		{settings.RetentionSessions, &c.Sessions},
		{settings.RetentionDevices, &c.Devices},
		{settings.RetentionSignInCodes, &c.SignInCodes},
	} {
		d, err := ParseRetention(r.name, getenv(r.name), *r.dst)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		*r.dst = d
	}
	return c, errors.Join(problems...)
}

// ParseRetention reads one retention setting: "" is def, "forever" is Forever, else a
// duration of MinRetention to MaxRetention in Go's syntax (90m, 72h) or in days (30d, 1.5d).
func ParseRetention(name, v string, def time.Duration) (time.Duration, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "":
		return def, nil
	case "forever":
		return Forever, nil
	}
	d, err := launchpad.ParseDuration(v)
	if err != nil || d < MinRetention || d > MaxRetention {
		return 0, fmt.Errorf("%s=%q is not valid: use a duration from 1s to 3650d such as 30d, 36h or 90m, or forever (default %s)",
			name, launchpad.Clip(v, 40), FormatRetention(def))
	}
	return d, nil
}

// FormatRetention writes a retention the way the settings take it: whole days as 30d,
// Forever as forever.
func FormatRetention(d time.Duration) string {
	if d == Forever {
		return "forever"
	}
	return launchpad.FormatDuration(d)
}
