package benchmark

import (
	"strings"
	"testing"
	"time"
)

// TestFleetFiguresEndToEnd runs the fleet figure group on a fleet of 2 and then 3 tenants —
// build, sandbox, create, timed plans, the rate-limited and parallelism variants — and checks
// that every figure is measured against a floor and that the refresh made the expected calls.
func TestFleetFiguresEndToEnd(t *testing.T) {
	env := envForTest(t)
	got := emitted(t, env, Fleet(FleetOptions{
		Sizes: []int{2, 3}, Shape: FleetShapeModule, SetupParallelism: 10, Parallelism: 10,
		RateLimitedAt: 2, MoreParallelism: 30, MoreParallelismAt: 3,
		Latency: 10 * time.Millisecond, LatencyAt: 3, BatchReadsOffToo: true,
	}))
	for _, r := range got {
		if r.Floor == nil || *r.Floor <= 0 || r.Ratio == nil || r.Value <= 0 {
			t.Errorf("%s: value %v, floor %v, ratio %v: want a measured value against a measured floor", r.Name, r.Value, r.Floor, r.Ratio)
		}
		if !strings.HasPrefix(r.Line(), "BENCH "+r.Name+" ") {
			t.Errorf("line %q", r.Line())
		}
	}
	want := "fleet_plan_2 fleet_plan_2_rate_limited fleet_plan_3 fleet_plan_3_parallelism_30 " +
		"fleet_plan_3_latency_10ms fleet_plan_3_latency_10ms_batch_reads_off"
	if names := figureNames(got); names != want {
		t.Fatalf("figures %s, want %s", names, want)
	}
	// Every refresh reaches both simulators for every tenant: the sandbox counted them.
	for _, r := range got {
		n := r.Details["tenants"].(int)
		if fly := r.Details["fly_requests_per_plan"].(float64); fly < float64(n) {
			t.Errorf("%s: %v Fly requests per plan for %d tenants", r.Name, fly, n)
		}
		if or := r.Details["openrouter_requests_per_plan"].(float64); or < 1 {
			t.Errorf("%s: %v OpenRouter requests per plan", r.Name, or)
		}
	}
	// The sub-keys are read through one listing, unless batch_reads is off.
	batched, unbatched := got[4].Details["openrouter_requests_per_plan"].(float64), got[5].Details["openrouter_requests_per_plan"].(float64)
	if unbatched < 3 || batched >= unbatched {
		t.Errorf("OpenRouter requests per plan of 3 sub-keys: %v batched, %v with batch_reads off; want one read per key off, fewer on", batched, unbatched)
	}
	if _, ok := got[1].Details["answers_429"]; !ok {
		t.Errorf("the rate-limited figure does not say how many 429s the sandbox answered: %v", got[1].Details)
	}
}

// TestFleetFlatShapeEndToEnd checks the flat configuration (counted resources referencing
// each other, as examples/fleet is written) plans with no change against its floor.
func TestFleetFlatShapeEndToEnd(t *testing.T) {
	env := envForTest(t)
	got := emitted(t, env, Fleet(FleetOptions{Sizes: []int{2}, Shape: FleetShapeFlat, SetupParallelism: 10, Parallelism: 10}))
	if len(got) != 1 || got[0].Name != "fleet_plan_2" || got[0].Details["shape"] != "flat" {
		t.Fatalf("got %+v", got)
	}
}
