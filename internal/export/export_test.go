package export

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The export holds the cycle's machine hours and model spend per UTC day, as the meter
// stored them, and an empty list (not null) before anything was metered.
func TestExportHoldsUsagePerDay(t *testing.T) {
	day := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	u := launchpad.Usage{CycleStart: day, CycleEnd: day.AddDate(0, 1, 0), MachineSeconds: 9000}
	u.AddToDay(day.Add(time.Hour), 5400, 0.5)
	u.AddToDay(day.Add(30*time.Hour), 3600, 1)
	want := []UsageDay{{Day: "2030-01-02", MachineHours: 1.5, SpendUSD: 0.5}, {Day: "2030-01-03", MachineHours: 1, SpendUSD: 1}}
	if got := usageOf(u); len(got.Days) != 2 || got.Days[0] != want[0] || got.Days[1] != want[1] || got.MachineHours != 2.5 {
		t.Fatalf("usage %+v; want 2.5 hours over the days %+v", got, want)
	}
	if got := usageOf(launchpad.Usage{}); got.Days == nil || len(got.Days) != 0 {
		t.Fatalf("usage of nothing metered: %+v; want an empty list of days", got)
	}
}
