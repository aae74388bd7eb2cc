package sqlite

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// planColumns lists the table's columns for a record (internal/store/tables).
var planColumns = fromTable(tables.Plan)

// planTable is the plans table.
var planTable = table[launchpad.Plan]{
	name: "plans", what: "plan", keyColumn: "name", keyField: "Name",
	key:     func(p *launchpad.Plan) string { return p.Name },
	written: plain(planColumns),
	read:    scanWith(planColumns),
	selects: planColumns(&launchpad.Plan{}).selectFrom("plans"),
	times:   func(p *launchpad.Plan) (*time.Time, *time.Time) { return &p.CreatedAt, &p.UpdatedAt },
	conflict: func(err error, p *launchpad.Plan) error {
		if uniqueViolation(err) == "plans.stripe_price_id" {
			return contract.PriceTaken(p.StripePriceID)
		}
		return err
	},
}

// CreatePlan stores a new plan. ECONFLICT if the name, or a non-empty StripePriceID, is taken.
func (db *DB) CreatePlan(ctx context.Context, p *launchpad.Plan) error {
	return planTable.create(ctx, db, p)
}

// GetPlan returns the plan with name, or ENOTFOUND.
func (db *DB) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
	return planTable.get(ctx, db, name)
}

// GetPlanByStripePrice returns the plan whose stripe_price_id is priceID, or ENOTFOUND.
func (db *DB) GetPlanByStripePrice(ctx context.Context, priceID string) (*launchpad.Plan, error) {
	return planTable.first(ctx, db, `stripe_price_id = ? AND stripe_price_id <> ''`, priceID,
		contract.NoPlanWithPrice(priceID))
}

// ListPlans returns every plan ordered by name.
func (db *DB) ListPlans(ctx context.Context) ([]*launchpad.Plan, error) {
	return planTable.list(ctx, db, `ORDER BY name`)
}

// UpdatePlan applies fn to the stored plan in one write transaction. ECONFLICT if the new
// StripePriceID belongs to another plan.
func (db *DB) UpdatePlan(ctx context.Context, name string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	return planTable.update(ctx, db, name, fn)
}

// DeletePlan removes the plan, or returns ENOTFOUND.
func (db *DB) DeletePlan(ctx context.Context, name string) error {
	return planTable.remove(ctx, db, name)
}
