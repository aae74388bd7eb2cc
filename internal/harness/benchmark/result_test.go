package benchmark

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResultLines(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Duration("fleet_plan_1000", 41.234, "s", 20.5), "BENCH fleet_plan_1000 41.23 s floor=20.50 ratio=2.01"},
		{Duration("fleet_plan_100", 3.21, "s", 1.6), "BENCH fleet_plan_100 3.210 s floor=1.600 ratio=2.01"},
		{Rate("rotate_10k", 1000, "records/s", 2500), "BENCH rotate_10k 1000 records/s floor=2500 ratio=2.50"},
		{Result{Name: "webhook_rss", Value: 123.456, Unit: "MiB"}, "BENCH webhook_rss 123.5 MiB"},
	} {
		if got := tc.r.Line(); got != tc.want {
			t.Errorf("Line() = %q, want %q", got, tc.want)
		}
	}
}

func TestRatioNeedsAFloorAndAValue(t *testing.T) {
	if r := Duration("x", 1, "s", 0); r.Ratio != nil {
		t.Errorf("a zero floor gave ratio %v; a ratio to nothing must be left out", *r.Ratio)
	}
	if r := Rate("x", 0, "records/s", 10); r.Ratio != nil {
		t.Errorf("a zero rate gave ratio %v", *r.Ratio)
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench", "results.json")
	rep := &Report{Machine: ThisMachine(), Results: []Result{Duration("a", 2, "s", 1).With("runs", []float64{1, 2, 3})}}
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 1 || *got.Results[0].Ratio != 2 || got.Machine.CPUs < 1 {
		t.Errorf("read back %+v", got)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind: %v", err)
	}
}

func TestMedianAndPercentile(t *testing.T) {
	if got := Median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("Median(5,1,3) = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("Median(4,1,3,2) = %v", got)
	}
	if !math.IsNaN(Median(nil)) || !math.IsNaN(Percentile(nil, 50)) {
		t.Error("no values must give NaN, not a number that looks measured")
	}
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1
	}
	if p50, p99, p100 := Percentile(xs, 50), Percentile(xs, 99), Percentile(xs, 100); p50 != 50 || p99 != 99 || p100 != 100 {
		t.Errorf("p50, p99, p100 = %v, %v, %v; want 50, 99, 100", p50, p99, p100)
	}
	in := []float64{3, 1, 2}
	Median(in)
	if in[0] != 3 {
		t.Error("Median sorted its argument in place")
	}
}

// TestInTurnAlternatesWhichSideGoesFirst: the figure's side first on even rounds, the floor's
// on odd ones, and a failing first side skips the second.
func TestInTurnAlternatesWhichSideGoesFirst(t *testing.T) {
	var order []string
	side := func(name string) func() error {
		return func() error { order = append(order, name); return nil }
	}
	for round := range 3 {
		if err := inTurn(round, side("figure"), side("floor")); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(order, " "); got != "figure floor floor figure figure floor" {
		t.Errorf("order %q", got)
	}
	boom := errors.New("boom")
	ran := false
	err := inTurn(0, func() error { return boom }, func() error { ran = true; return nil })
	if !errors.Is(err, boom) || ran {
		t.Errorf("a failed first side: err %v, second side ran %v", err, ran)
	}
}
