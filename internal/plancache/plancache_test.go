package plancache

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// countingPlans is a store that counts plan reads.
type countingPlans struct {
	launchpad.Store
	reads int
}

func (c *countingPlans) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
	c.reads++
	return c.Store.GetPlan(ctx, name)
}

func newPlanCacheStore(t *testing.T) (*Store, *countingPlans, *sim.ManualClock) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "launchpad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	counting := &countingPlans{Store: st}
	clock := sim.NewManualClock(time.Unix(1e9, 0))
	return New(counting, clock.Now), counting, clock
}

func starterPlan() *launchpad.Plan {
	return &launchpad.Plan{Name: "starter", MonthlySpendLimitUSD: 10, MachineHoursPerCycle: 100, VolumeSizeGB: 5,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}}
}

func TestCachedPlansReadTheStoreOncePerTTL(t *testing.T) {
	ctx := context.Background()
	st, counting, clock := newPlanCacheStore(t)
	if err := st.CreatePlan(ctx, starterPlan()); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		p, err := st.GetPlan(ctx, "starter")
		if err != nil || p.MonthlySpendLimitUSD != 10 {
			t.Fatalf("GetPlan = %+v, %v", p, err)
		}
		p.MonthlySpendLimitUSD = 999 // a caller changing its copy changes nothing else
	}
	if counting.reads != 1 {
		t.Errorf("1,000 reads within the TTL reached the store %d times, want 1", counting.reads)
	}
	clock.Advance(TTL)
	if p, _ := st.GetPlan(ctx, "starter"); p.MonthlySpendLimitUSD != 10 || counting.reads != 2 {
		t.Errorf("after the TTL: limit %v and %d store reads, want 10 and 2", p.MonthlySpendLimitUSD, counting.reads)
	}
}

func TestCachedPlansOwnWritesAreReadBack(t *testing.T) {
	ctx := context.Background()
	st, _, _ := newPlanCacheStore(t)
	if _, err := st.GetPlan(ctx, "starter"); !launchpad.IsNotFound(err) {
		t.Fatalf("a plan that does not exist: err = %v, want ENOTFOUND", err)
	}
	if err := st.CreatePlan(ctx, starterPlan()); err != nil {
		t.Fatal(err)
	}
	if p, err := st.GetPlan(ctx, "starter"); err != nil || p.MonthlySpendLimitUSD != 10 {
		t.Fatalf("a not-found must not be cached: %+v, %v", p, err)
	}
	if _, err := st.UpdatePlan(ctx, "starter", func(p *launchpad.Plan) error { p.MonthlySpendLimitUSD = 15; return nil }); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.GetPlan(ctx, "starter"); p.MonthlySpendLimitUSD != 15 {
		t.Errorf("after UpdatePlan the read shows %v, want 15", p.MonthlySpendLimitUSD)
	}
	if err := st.DeletePlan(ctx, "starter"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetPlan(ctx, "starter"); !launchpad.IsNotFound(err) {
		t.Errorf("after DeletePlan: err = %v, want ENOTFOUND", err)
	}
}
