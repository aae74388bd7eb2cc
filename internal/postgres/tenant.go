package postgres

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// tenantColumns lists the table's columns for a record (internal/store/tables).
var tenantColumns = fromTable(tables.Tenant)

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
