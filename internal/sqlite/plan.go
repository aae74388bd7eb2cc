package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
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

var selectPlans = planColumns(&launchpad.Plan{}).selectFrom("plans")

// CreatePlan stores a new plan. ECONFLICT if the name, or a non-empty StripePriceID, is taken.
func (db *DB) CreatePlan(ctx context.Context, p *launchpad.Plan) error {
	now := db.clock()
	c := *p
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		query, args := planColumns(&c).insert("plans")
		_, err := tx.ExecContext(ctx, query, args...)
		return planConflict(err, &c)
	})
}

// GetPlan returns the plan with name, or ENOTFOUND.
func (db *DB) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
	p, err := get(ctx, db, func(tx *sql.Tx) (*launchpad.Plan, error) {
		return findPlan(ctx, tx, `name = ?`, name)
	})
	if isNoRows(err) {
		return nil, notFound("plan", name)
	}
	return p, err
}

// GetPlanByStripePrice returns the plan whose stripe_price_id is priceID, or ENOTFOUND.
func (db *DB) GetPlanByStripePrice(ctx context.Context, priceID string) (*launchpad.Plan, error) {
	p, err := get(ctx, db, func(tx *sql.Tx) (*launchpad.Plan, error) {
		return findPlan(ctx, tx, `stripe_price_id = ? AND stripe_price_id <> ''`, priceID)
	})
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no plan has stripe_price_id %q", priceID)
	}
	return p, err
}

// ListPlans returns every plan ordered by name.
func (db *DB) ListPlans(ctx context.Context) ([]*launchpad.Plan, error) {
	return list(ctx, db, scanPlan, selectPlans+` ORDER BY name`)
}

// UpdatePlan applies fn to the stored plan in one write transaction.
func (db *DB) UpdatePlan(ctx context.Context, name string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	var out *launchpad.Plan
	err := db.write(ctx, func(tx *sql.Tx) error {
		p, err := findPlan(ctx, tx, `name = ?`, name)
		if isNoRows(err) {
			return notFound("plan", name)
		} else if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if p.Name != name {
			return keyChanged("plan", "Name", name, p.Name)
		}
		p.UpdatedAt = db.clock()
		query, args := planColumns(p).update("plans", "name")
		_, err = tx.ExecContext(ctx, query, args...)
		if err := planConflict(err, p); err != nil {
			return err
		}
		out, err = findPlan(ctx, tx, `name = ?`, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePlan removes the plan, or returns ENOTFOUND.
func (db *DB) DeletePlan(ctx context.Context, name string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM plans WHERE name = ?`, name, "plan")
	})
}

func findPlan(ctx context.Context, tx *sql.Tx, where string, arg any) (*launchpad.Plan, error) {
	return scanPlan(tx.QueryRowContext(ctx, selectPlans+` WHERE `+where, arg))
}

func scanPlan(row scanner) (*launchpad.Plan, error) {
	var p launchpad.Plan
	if err := row.Scan(planColumns(&p).dests()...); err != nil {
		return nil, err
	}
	return &p, nil
}

// planConflict names what a UNIQUE violation on plans is about.
func planConflict(err error, p *launchpad.Plan) error {
	switch uniqueViolation(err) {
	case "plans.name":
		return launchpad.Errorf(launchpad.ECONFLICT, "plan %q already exists", p.Name)
	case "plans.stripe_price_id":
		return launchpad.Errorf(launchpad.ECONFLICT, "stripe_price_id %q already belongs to another plan; each Stripe price maps to one plan", p.StripePriceID)
	}
	return err
}

// deleteOne runs a DELETE of one record by key and returns ENOTFOUND if there was none.
func deleteOne(ctx context.Context, tx *sql.Tx, query, key, what string) error {
	res, err := tx.ExecContext(ctx, query, key)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what, key)
	}
	return nil
}
