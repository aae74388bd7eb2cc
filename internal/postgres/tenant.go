package postgres

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// tenantColumns lists the columns of tenants with the fields of t they hold.
func tenantColumns(t *launchpad.Tenant) columns {
	return columns{
		{"app_name", &t.AppName},
		{"user_id", &t.UserID},
		{"product", &t.Product},
		{"region", &t.Region},
		{"plan_name", &t.Plan},
		{"image", &t.Image},
		{"network", &t.Network},
		{"machine_id", &t.MachineID},
		{"volume_id", &t.VolumeID},
		{"ipv4", &t.IPv4},
		{"ipv6", &t.IPv6},
		{"key_source", &t.KeySource},
		{"subkey_hash", &t.SubKeyHash},
		{"secret_digest", &t.SecretDigest},
		{"rebuild_generation", &t.RebuildGeneration},
		{"reset_generation", &t.ResetGeneration},
		{"machine_state", &t.MachineState},
		{"created_at", ts(&t.CreatedAt)},
		{"updated_at", ts(&t.UpdatedAt)},
	}
}

// tenantTable is the tenants table.
var tenantTable = table[launchpad.Tenant]{
	name: "tenants", what: "tenant", keyField: "AppName",
	key:  func(t *launchpad.Tenant) string { return t.AppName },
	cols: tenantColumns,
	stamp: func(t *launchpad.Tenant, now time.Time, create bool) {
		stampTimes(&t.CreatedAt, &t.UpdatedAt, now, create)
	},
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
	return tenantTable.list(ctx, db, `WHERE ($1 = '' OR user_id = $1) ORDER BY app_name`, f.UserID)
}

// UpdateTenant applies fn to the stored tenant (table.update: READ COMMITTED, the row locked
// first).
func (db *DB) UpdateTenant(ctx context.Context, appName string, fn func(*launchpad.Tenant) error) (*launchpad.Tenant, error) {
	return tenantTable.update(ctx, db, appName, fn)
}

// DeleteTenant removes the tenant record, or returns ENOTFOUND.
func (db *DB) DeleteTenant(ctx context.Context, appName string) error {
	return tenantTable.remove(ctx, db, appName)
}
