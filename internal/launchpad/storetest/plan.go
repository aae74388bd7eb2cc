package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// plans is the plans' part of the keyed-record contract.
var plans = keyed[launchpad.Plan]{
	name: "Plan", keyField: "Name", keys: [2]string{"pro", "team"},
	fresh: func(name string) *launchpad.Plan { return newPlan(name, "price_"+name+"1") },
	// The price is unique too: a scribbled plan's is one no other plan has.
	scribble: func(p *launchpad.Plan) {
		p.DisplayName, p.Guest.CPUs, p.StripePriceID = "scribbled", 99, "price_scribbled"
	},
	setKey:    func(p *launchpad.Plan, name string) { p.Name = name },
	updatedAt: func(p *launchpad.Plan) *time.Time { return &p.UpdatedAt },
	create:    launchpad.Store.CreatePlan,
	get:       launchpad.Store.GetPlan,
	update:    launchpad.Store.UpdatePlan,
	remove:    launchpad.Store.DeletePlan,
	list:      func(s launchpad.Store, ctx context.Context) ([]*launchpad.Plan, error) { return s.ListPlans(ctx) },
	findScribbled: func(s launchpad.Store, ctx context.Context) (*launchpad.Plan, error) {
		return s.GetPlanByStripePrice(ctx, "price_scribbled")
	},
}

func planCases() []testCase {
	return []testCase{
		{"plan/create_get_list", testPlanCreateGetList},
		{"plan/not_found", testPlanNotFound},
		{"plan/conflict_name", plans.conflict},
		{"plan/conflict_stripe_price_on_create", testPlanConflictPriceOnCreate},
		{"plan/conflict_stripe_price_concurrent", testPlanConflictPriceConcurrent},
		{"plan/update", testPlanUpdate},
		{"plan/update_stripe_price_conflict", testPlanUpdatePriceConflict},
		{"plan/update_cannot_change_name", plans.keyChange},
		{"plan/update_fn_error_writes_nothing", plans.fnError},
		{"plan/delete_frees_name_and_price", testPlanDelete},
		{"plan/records_are_copies", plans.copies},
	}
}

func testPlanCreateGetList(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	for _, p := range []*launchpad.Plan{newPlan("zeta", "price_zeta"), newPlan("alpha", ""), newPlan("mid", "price_mid")} {
		wantOK(t, s.CreatePlan(ctx, p), "CreatePlan "+p.Name)
	}
	got, err := s.GetPlan(ctx, "mid")
	wantOK(t, err, "GetPlan")
	wantEqual(t, "GetPlan", got, newPlan("mid", "price_mid"))
	got, err = s.GetPlanByStripePrice(ctx, "price_zeta")
	wantOK(t, err, "GetPlanByStripePrice")
	wantEqual(t, "GetPlanByStripePrice", got, newPlan("zeta", "price_zeta"))
	list, err := s.ListPlans(ctx)
	wantOK(t, err, "ListPlans")
	wantEqual(t, "ListPlans (ordered by name)", list, []*launchpad.Plan{newPlan("alpha", ""), newPlan("mid", "price_mid"), newPlan("zeta", "price_zeta")})
}

func testPlanNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	list, err := s.ListPlans(ctx)
	wantOK(t, err, "ListPlans on an empty store")
	if len(list) != 0 {
		t.Fatalf("ListPlans on an empty store returned %d plans", len(list))
	}
	wantOK(t, s.CreatePlan(ctx, newPlan("free", "")), "CreatePlan without a price")
	_, err = s.GetPlan(ctx, "missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetPlan of a missing plan")
	_, err = s.GetPlanByStripePrice(ctx, "price_missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetPlanByStripePrice of a missing price")
	_, err = s.GetPlanByStripePrice(ctx, "")
	wantCode(t, err, launchpad.ENOTFOUND, "GetPlanByStripePrice(\"\") while a plan has no price")
	_, err = s.UpdatePlan(ctx, "missing", func(*launchpad.Plan) error { return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdatePlan of a missing plan")
	wantCode(t, s.DeletePlan(ctx, "missing"), launchpad.ENOTFOUND, "DeletePlan of a missing plan")
}

func testPlanConflictPriceOnCreate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreatePlan(ctx, newPlan("pro", "price_pro1")), "CreatePlan pro")
	wantCode(t, s.CreatePlan(ctx, newPlan("team", "price_pro1")), launchpad.ECONFLICT, "CreatePlan with a taken stripe_price_id")
	_, err := s.GetPlan(ctx, "team")
	wantCode(t, err, launchpad.ENOTFOUND, "the plan refused for its price")
	// Plans without a price do not collide with each other.
	wantOK(t, s.CreatePlan(ctx, newPlan("free", "")), "CreatePlan free")
	wantOK(t, s.CreatePlan(ctx, newPlan("trial", "")), "CreatePlan trial")
}

func testPlanConflictPriceConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	errs := make([]error, concurrency)
	Race(concurrency, func(i int) {
		errs[i] = s.CreatePlan(ctx, newPlan(fmt.Sprintf("plan-%02d", i), "price_same"))
	})
	wantOneWinner(t, errs, "concurrent CreatePlan calls with one price")
}

func testPlanUpdate(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	want := plans.updated(t, s, func(p *launchpad.Plan) {
		p.DisplayName = "Pro (2041)"
		p.StripePriceID = "price_pro2"
		p.Guest.MemoryMB = 2048
		p.AllowPooledKey = false
	})
	byPrice, err := s.GetPlanByStripePrice(ctx, "price_pro2")
	wantOK(t, err, "GetPlanByStripePrice new price")
	wantEqual(t, "plan found by its new price", byPrice, want)
	_, err = s.GetPlanByStripePrice(ctx, "price_pro1")
	wantCode(t, err, launchpad.ENOTFOUND, "lookup by the old price")
	wantOK(t, s.CreatePlan(ctx, newPlan("legacy", "price_pro1")), "CreatePlan with the freed price")
}

func testPlanUpdatePriceConflict(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreatePlan(ctx, newPlan("pro", "price_pro1")), "CreatePlan pro")
	wantOK(t, s.CreatePlan(ctx, newPlan("team", "price_team1")), "CreatePlan team")
	_, err := s.UpdatePlan(ctx, "team", func(p *launchpad.Plan) error {
		p.StripePriceID = "price_pro1"
		p.DisplayName = "changed"
		return nil
	})
	wantCode(t, err, launchpad.ECONFLICT, "UpdatePlan to another plan's price")
	got, err := s.GetPlan(ctx, "team")
	wantOK(t, err, "GetPlan team")
	wantEqual(t, "team after the refused update", got, newPlan("team", "price_team1"))
	got, err = s.GetPlanByStripePrice(ctx, "price_pro1")
	wantOK(t, err, "GetPlanByStripePrice")
	if got.Name != "pro" {
		t.Fatalf("price_pro1 now finds %s", got.Name)
	}
	// Keeping one's own price is not a conflict.
	_, err = s.UpdatePlan(ctx, "pro", func(p *launchpad.Plan) error { p.DisplayName = "Pro"; return nil })
	wantOK(t, err, "UpdatePlan keeping its own price")
}

func testPlanDelete(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreatePlan(ctx, newPlan("pro", "price_pro1")), "CreatePlan")
	wantOK(t, s.CreatePlan(ctx, newPlan("team", "price_team1")), "CreatePlan team")
	wantOK(t, s.DeletePlan(ctx, "pro"), "DeletePlan")
	_, err := s.GetPlan(ctx, "pro")
	wantCode(t, err, launchpad.ENOTFOUND, "GetPlan after DeletePlan")
	_, err = s.GetPlanByStripePrice(ctx, "price_pro1")
	wantCode(t, err, launchpad.ENOTFOUND, "GetPlanByStripePrice after DeletePlan")
	wantCode(t, s.DeletePlan(ctx, "pro"), launchpad.ENOTFOUND, "DeletePlan twice")
	wantOK(t, s.CreatePlan(ctx, newPlan("pro", "price_pro1")), "CreatePlan again with the freed name and price")
	list, err := s.ListPlans(ctx)
	wantOK(t, err, "ListPlans")
	wantEqual(t, "ListPlans", list, []*launchpad.Plan{newPlan("pro", "price_pro1"), newPlan("team", "price_team1")})
}
