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
	// DefaultSnapshots keeps no snapshot of a destroyed tenant's workspace: an account
	// deletion is a request to erase, so nothing of it outlives the teardown unless the
	// operator says so.
	DefaultSnapshots = 0
	// MaxSnapshots is the longest Fly keeps a volume snapshot (60 days).
	MaxSnapshots = 60 * 24 * time.Hour

	// MinInterval and MaxInterval bound LAUNCHPAD_PURGE_INTERVAL.
	MinInterval = time.Second
	MaxInterval = 24 * time.Hour
	// MinRetention and MaxRetention bound every retention duration.
	MinRetention = time.Second
	MaxRetention = 3650 * 24 * time.Hour
	// MinAudit is the shortest LAUNCHPAD_RETENTION_AUDIT: a month of the log stays readable in
	// the dashboard and the store.
	MinAudit = 30 * 24 * time.Hour
)

// Forever is the retention of a class the loop never purges ("forever").
const Forever time.Duration = 0

// Config is what the loop erases, and when.
type Config struct {
	// Interval between passes (LAUNCHPAD_PURGE_INTERVAL); 0 means DefaultInterval.
	Interval time.Duration
	// How long each class is kept; Forever keeps it.
	StripePayloads, JobLogs, Sessions, Devices, SignInCodes time.Duration
	// Snapshots is how long a destroyed tenant's workspace is kept at Fly
	// (LAUNCHPAD_RETENTION_SNAPSHOTS): whole days, at most MaxSnapshots; 0 keeps none (unlike
	// the classes above, it has no forever: Fly keeps a snapshot 60 days at most).
	Snapshots time.Duration
	// Audit is how long audit events are kept in full (LAUNCHPAD_RETENTION_AUDIT): Forever
	// (keep) by default, else whole days, at least MinAudit; older events are archived to
	// AuditArchiveDir (LAUNCHPAD_AUDIT_ARCHIVE_DIR) and trimmed.
	Audit           time.Duration
	AuditArchiveDir string
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
	if d, err := ParseSnapshotRetention(getenv(settings.RetentionSnapshots)); err != nil {
		problems = append(problems, err)
	} else {
		c.Snapshots = d
	}
	if d, err := ParseAuditRetention(getenv(settings.RetentionAudit)); err != nil {
		problems = append(problems, err)
	} else {
		c.Audit = d
	}
	c.AuditArchiveDir = strings.TrimSpace(getenv(settings.AuditArchiveDir))
	if c.Audit != Forever && c.AuditArchiveDir == "" {
		problems = append(problems, fmt.Errorf("%s is set, but %s is not: set the directory the audit archive files go to, or set %s=keep",
			settings.RetentionAudit, settings.AuditArchiveDir, settings.RetentionAudit))
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

// ParseSnapshotRetention reads LAUNCHPAD_RETENTION_SNAPSHOTS: "" or "0" keep no snapshot, else
// whole days from 1d to 60d (Fly keeps a volume snapshot for a number of days, 1 to 60).
func ParseSnapshotRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" {
		return DefaultSnapshots, nil
	}
	d, err := launchpad.ParseDuration(v)
	if err != nil || d < 24*time.Hour || d > MaxSnapshots || d%(24*time.Hour) != 0 {
		return 0, fmt.Errorf("%s=%q is not valid: use whole days from 1d to 60d (Fly keeps a volume snapshot 1 to 60 days), such as 7d, or 0 to keep none (default 0)",
			settings.RetentionSnapshots, launchpad.Clip(v, 40))
	}
	return d, nil
}

// ParseAuditRetention reads LAUNCHPAD_RETENTION_AUDIT: "" or "keep" keep every event in full
// (Forever), else whole days, at least MinAudit and at most MaxRetention.
func ParseAuditRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "keep" {
		return Forever, nil
	}
	d, err := launchpad.ParseDuration(v)
	if err != nil || d < MinAudit || d > MaxRetention || d%(24*time.Hour) != 0 {
		return 0, fmt.Errorf("%s=%q is not valid: use whole days from 30d to 3650d, such as 365d, or keep to keep every event in full (default keep)",
			settings.RetentionAudit, launchpad.Clip(v, 40))
	}
	return d, nil
}

// SnapshotDays is c.Snapshots in days: how long a tenant the control plane destroys keeps its
// workspace (the rendered workspace_retention_days).
func (c Config) SnapshotDays() int64 { return int64(c.Snapshots / (24 * time.Hour)) }
