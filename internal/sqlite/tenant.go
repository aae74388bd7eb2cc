package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// tenantColumns lists the tenants table's columns for t.
func tenantColumns(t *launchpad.Tenant) columns {
	return columns{
		{"app_name", t.AppName, &t.AppName},
		{"user_id", t.UserID, &t.UserID},
		{"product", t.Product, &t.Product},
		{"region", t.Region, &t.Region},
		{"plan_name", t.Plan, &t.Plan},
		{"image", t.Image, &t.Image},
		{"network", t.Network, &t.Network},
		{"machine_id", t.MachineID, &t.MachineID},
		{"volume_id", t.VolumeID, &t.VolumeID},
		{"ipv4", t.IPv4, &t.IPv4},
		{"ipv6", t.IPv6, &t.IPv6},
		{"key_source", string(t.KeySource), &t.KeySource},
		{"subkey_hash", t.SubKeyHash, &t.SubKeyHash},
		{"secret_digest", t.SecretDigest, &t.SecretDigest},
		{"rebuild_generation", t.RebuildGeneration, &t.RebuildGeneration},
		{"machine_state", t.MachineState, &t.MachineState},
		{"created_at", timeArg(t.CreatedAt), scanTime(&t.CreatedAt)},
		{"updated_at", timeArg(t.UpdatedAt), scanTime(&t.UpdatedAt)},
	}
}

var selectTenants = tenantColumns(&launchpad.Tenant{}).selectFrom("tenants")

// CreateTenant stores a new tenant. ECONFLICT if the app name is taken.
func (db *DB) CreateTenant(ctx context.Context, t *launchpad.Tenant) error {
	now := db.clock()
	c := *t
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		query, args := tenantColumns(&c).insert("tenants")
		_, err := tx.ExecContext(ctx, query, args...)
		if uniqueViolation(err) == "tenants.app_name" {
			return launchpad.Errorf(launchpad.ECONFLICT, "tenant %q already exists", c.AppName)
		}
		return err
	})
}

// GetTenant returns the tenant with appName, or ENOTFOUND.
func (db *DB) GetTenant(ctx context.Context, appName string) (*launchpad.Tenant, error) {
	t, err := get(ctx, db, func(tx *sql.Tx) (*launchpad.Tenant, error) {
		return findTenant(ctx, tx, appName)
	})
	if isNoRows(err) {
		return nil, notFound("tenant", appName)
	}
	return t, err
}

// ListTenants returns the tenants matching f, ordered by app name.
func (db *DB) ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error) {
	return list(ctx, db, scanTenant, selectTenants+`
			WHERE (:user_id = '' OR user_id = :user_id) ORDER BY app_name`, sql.Named("user_id", f.UserID))
}

// UpdateTenant applies fn to the stored tenant in one write transaction.
func (db *DB) UpdateTenant(ctx context.Context, appName string, fn func(*launchpad.Tenant) error) (*launchpad.Tenant, error) {
	var out *launchpad.Tenant
	err := db.write(ctx, func(tx *sql.Tx) error {
		t, err := findTenant(ctx, tx, appName)
		if isNoRows(err) {
			return notFound("tenant", appName)
		} else if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		if t.AppName != appName {
			return keyChanged("tenant", "AppName", appName, t.AppName)
		}
		t.UpdatedAt = db.clock()
		query, args := tenantColumns(t).update("tenants", "app_name")
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		out, err = findTenant(ctx, tx, appName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteTenant removes the tenant record, or returns ENOTFOUND.
func (db *DB) DeleteTenant(ctx context.Context, appName string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM tenants WHERE app_name = ?`, appName, "tenant")
	})
}

func findTenant(ctx context.Context, tx *sql.Tx, appName string) (*launchpad.Tenant, error) {
	return scanTenant(tx.QueryRowContext(ctx, selectTenants+` WHERE app_name = ?`, appName))
}

func scanTenant(row scanner) (*launchpad.Tenant, error) {
	var t launchpad.Tenant
	if err := row.Scan(tenantColumns(&t).dests()...); err != nil {
		return nil, err
	}
	return &t, nil
}
