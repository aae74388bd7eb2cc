package export_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/export"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// The export holds the cycle's machine hours and model spend per UTC day, as the meter
// stored them.
func TestExportHoldsUsagePerDay(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	day := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	u := &launchpad.User{ID: "u1", Email: "u1@example.com", Plan: "pro", OpenRouterKeyHash: "hash-1",
		Usage: launchpad.Usage{CycleStart: day, CycleEnd: day.AddDate(0, 1, 0), MachineSeconds: 9000, SpendReadingUSD: 1.5, SpendReadingKey: "hash-1"}}
	u.Usage.AddToDay(day.Add(time.Hour), 5400, 0.5)
	u.Usage.AddToDay(day.Add(30*time.Hour), 3600, 1)
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	doc, err := (&export.Exporter{Store: st}).Export(t.Context(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := []export.UsageDay{{Day: "2030-01-02", MachineHours: 1.5, SpendUSD: 0.5}, {Day: "2030-01-03", MachineHours: 1, SpendUSD: 1}}
	if got := doc.Usage.Days; len(got) != 2 || got[0] != want[0] || got[1] != want[1] || doc.Usage.MachineHours != 2.5 {
		t.Fatalf("usage %+v; want 2.5 hours over the days %+v", doc.Usage, want)
	}
	b, err := json.Marshal(doc.Usage)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"days":[{"day":"2030-01-02","machine_hours":1.5,"spend_usd":0.5}`) {
		t.Fatalf("usage as JSON: %s", b)
	}
}
