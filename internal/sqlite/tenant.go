package sqlite

import (
	"context"
	"database/sql"
	"time"

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
		{"reset_generation", t.ResetGeneration, &t.ResetGeneration},
		{"machine_state", t.MachineState, &t.MachineState},
		{"created_at", timeArg(t.CreatedAt), scanTime(&t.CreatedAt)},
		{"updated_at", timeArg(t.UpdatedAt), scanTime(&t.UpdatedAt)},
	}
}

// tenantTable is the tenants table.
var tenantTable = table[launchpad.Tenant]{
	name: "tenants", what: "tenant", keyColumn: "app_name", keyField: "AppName",
	key:     func(t *launchpad.Tenant) string { return t.AppName },
	written: plain(tenantColumns),
	read:    scanWith(tenantColumns),
	selects: tenantColumns(&launchpad.Tenant{}).selectFrom("tenants"),
	times:   func(t *launchpad.Tenant) (*time.Time, *time.Time) { return &t.CreatedAt, &t.UpdatedAt },
}

// CreateTenant stores a new tenant. ECONFLICT if the app name is taken.
func (db *DB) CreateTenant(ctx context.Context, t *launchpad.Tenant) error {
	return tenantTable.create(ctx, db, t)
}

// GetTenant returns the tenant with appName, or ENOTFOUND.
func (db *DB) GetTenant(ctx context.Context, appName string) (*launchpad.Tenant, error) {
	return tenantTable.get(ctx, db, appName)
}

// ListTenants returns the tenants matching f, ordered by app name.
func (db *DB) ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error) {
	return tenantTable.list(ctx, db, `WHERE (:user_id = '' OR user_id = :user_id) ORDER BY app_name`, sql.Named("user_id", f.UserID))
}

// UpdateTenant applies fn to the stored tenant in one write transaction.
func (db *DB) UpdateTenant(ctx context.Context, appName string, fn func(*launchpad.Tenant) error) (*launchpad.Tenant, error) {
	return tenantTable.update(ctx, db, appName, fn)
}

// DeleteTenant removes the tenant record, or returns ENOTFOUND.
func (db *DB) DeleteTenant(ctx context.Context, appName string) error {
	return tenantTable.remove(ctx, db, appName)
}
