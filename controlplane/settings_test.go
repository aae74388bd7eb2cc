package controlplane

import (
	"strconv"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// TestSettingsTableDefaultsAreThePackagesDefaults: serve gives each package the table's default
// when a setting is unset, and the packages keep typed defaults of their own for callers that
// build their configuration directly; the two must say the same.
func TestSettingsTableDefaultsAreThePackagesDefaults(t *testing.T) {
	days := func(d time.Duration) string { return strconv.Itoa(int(d/(24*time.Hour))) + "d" }
	for env, want := range map[string]string{
		settings.Addr:             DefaultAddr,
		settings.Store:            store.DefaultPath,
		settings.StripeAPIBase:    billing.DefaultAPIBase,
		settings.PastDueGrace:     launchpad.DefaultPastDueGrace.String(),
		settings.VolumeRetention:  days(billing.DefaultVolumeRetention),
		settings.Workers:          strconv.Itoa(queue.DefaultWorkers),
		settings.JobLease:         queue.DefaultLease.String(),
		settings.JobShutdownGrace: queue.DefaultShutdownGrace.String(),
		settings.ApplyCancelGrace: runner.DefaultCancelGrace.String(),
		settings.DataDir:          runner.DefaultDataDir,
		settings.Product:          runner.DefaultProduct,
		settings.Region:           runner.DefaultRegion,
		settings.Image:            runner.DefaultImage,
		settings.MeterInterval:    metering.DefaultInterval.String(),
		// Whole days; 0 keeps no snapshot.
		settings.RetentionSnapshots: strconv.Itoa(int(purge.DefaultSnapshots / (24 * time.Hour))),
	} {
		got := settings.Get(env).Default
		if g, gerr := time.ParseDuration(got); gerr == nil {
			if w, werr := time.ParseDuration(want); werr == nil && g == w {
				continue // the same duration, written another way
			}
		}
		if got != want {
			t.Errorf("the settings table's default of %s is %q; the code's is %q", env, got, want)
		}
	}
}
