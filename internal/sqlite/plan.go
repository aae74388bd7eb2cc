package sqlite

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// planColumns lists the plans table's columns for p.
func planColumns(p *launchpad.Plan) columns {
	return columns{
		{"name", p.Name, &p.Name},
		{"display_name", p.DisplayName, &p.DisplayName},
		{"stripe_price_id", p.StripePriceID, &p.StripePriceID},
		{"monthly_spend_limit_usd", p.MonthlySpendLimitUSD, &p.MonthlySpendLimitUSD},
		{"machine_hours_per_cycle", p.MachineHoursPerCycle, &p.MachineHoursPerCycle},
		{"guest_cpu_kind", p.Guest.CPUKind, &p.Guest.CPUKind},
		{"guest_cpus", p.Guest.CPUs, &p.Guest.CPUs},
		{"guest_memory_mb", p.Guest.MemoryMB, &p.Guest.MemoryMB},
		{"volume_size_gb", p.VolumeSizeGB, &p.VolumeSizeGB},
		{"allow_pooled_key", p.AllowPooledKey, &p.AllowPooledKey},
		{"created_at", timeArg(p.CreatedAt), scanTime(&p.CreatedAt)},
		{"updated_at", timeArg(p.UpdatedAt), scanTime(&p.UpdatedAt)},
	}
}

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
