package runplan

import (
	"strings"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestPlansRecordedAsTheyWillBe(t *testing.T) {
	r := New()
	if _, planned := r.Plan("pro"); planned {
		t.Fatal("a plan this run never saw is planned")
	}
	r.RecordPlan("pro", nil)
	if p, planned := r.Plan("pro"); !planned || p != nil {
		t.Fatalf("a plan with unknown values: %v, %v; want planned and nil", p, planned)
	}
	want := &launchpad.Plan{Name: "pro", MonthlySpendLimitUSD: 20}
	r.RecordPlan("pro", want)
	if p, _ := r.Plan("pro"); p != want {
		t.Fatalf("Plan = %+v, want the recorded one", p)
	}
}

func TestCollisionsWithinOneRun(t *testing.T) {
	r := New()
	if !r.ClaimKey("ada") || r.ClaimKey("ada") || !r.ClaimKey("bob") {
		t.Fatal("ClaimKey: the first claim of a user wins, the second loses, another user is free")
	}
	if !r.ClaimTenant("ada", "hermes") || r.ClaimTenant("ada", "hermes") || !r.ClaimTenant("ada", "openclaw") {
		t.Fatal("ClaimTenant: one tenant per user and product")
	}
	if other := r.ClaimPrice("price_1", "starter"); other != "" {
		t.Fatalf("first claim of a price: %q", other)
	}
	if other := r.ClaimPrice("price_1", "starter"); other != "" {
		t.Fatalf("the same plan again: %q", other)
	}
	if other := r.ClaimPrice("price_1", "pro"); other != "starter" {
		t.Fatalf("a second plan with the price: %q, want starter", other)
	}
	r.RecordReplaced("ada", "hermes", "lp-hermes-ada-1")
	if !r.IsReplaced("ada", "hermes", "lp-hermes-ada-1") || r.IsReplaced("ada", "hermes", "lp-hermes-ada-2") || r.IsReplaced("bob", "hermes", "lp-hermes-ada-1") {
		t.Fatal("IsReplaced answers for the recorded user, product and app only")
	}
}

// Terraform plans independent resources in parallel: exactly one of many claims wins.
func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 50 {
		wg.Go(func() {
			if r.ClaimTenant("ada", "hermes") {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}
}

func TestPlanLookupErrorSaysHowToPlanAMissingPlan(t *testing.T) {
	err := PlanLookupError(launchpad.Errorf(launchpad.ENOTFOUND, "no plan"), "pro")
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(err), "set plan = launchpad_plan.<name>.name") {
		t.Errorf("missing plan: %v", err)
	}
	other := launchpad.Errorf(launchpad.EUNAVAILABLE, "store down")
	if got := PlanLookupError(other, "pro"); got != other {
		t.Errorf("another error: %v, want it as it was", got)
	}
}
