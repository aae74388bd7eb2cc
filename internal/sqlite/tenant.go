package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const tenantColumns = `app_name, user_id, product, region, plan_name, image, network,
	machine_id, volume_id, ipv4, ipv6, key_source, subkey_hash, secret_digest,
	rebuild_generation, machine_state, created_at, updated_at`

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
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenantArgs(&c)...)
		if uniqueViolation(err) == "tenants.app_name" {
			return launchpad.Errorf(launchpad.ECONFLICT, "tenant %q already exists", c.AppName)
		}
		return err
	})
}

// GetTenant returns the tenant with appName, or ENOTFOUND.
func (db *DB) GetTenant(ctx context.Context, appName string) (*launchpad.Tenant, error) {
	var t *launchpad.Tenant
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		t, err = findTenant(ctx, tx, appName)
		return err
	})
	if isNoRows(err) {
		return nil, notFound("tenant", appName)
	}
	return t, err
}

// ListTenants returns the tenants matching f, ordered by app name.
func (db *DB) ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error) {
	var tenants []*launchpad.Tenant
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants
			WHERE (?1 = '' OR user_id = ?1) ORDER BY app_name`, f.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTenant(rows)
			if err != nil {
				return err
			}
			tenants = append(tenants, t)
		}
		return rows.Err()
	})
	return tenants, err
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
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET user_id = ?2, product = ?3, region = ?4,
			plan_name = ?5, image = ?6, network = ?7, machine_id = ?8, volume_id = ?9, ipv4 = ?10,
			ipv6 = ?11, key_source = ?12, subkey_hash = ?13, secret_digest = ?14,
			rebuild_generation = ?15, machine_state = ?16, created_at = ?17, updated_at = ?18
			WHERE app_name = ?1`, tenantArgs(t)...); err != nil {
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
	return scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE app_name = ?`, appName))
}

func scanTenant(row scanner) (*launchpad.Tenant, error) {
	var t launchpad.Tenant
	err := row.Scan(&t.AppName, &t.UserID, &t.Product, &t.Region, &t.Plan, &t.Image, &t.Network,
		&t.MachineID, &t.VolumeID, &t.IPv4, &t.IPv6, &t.KeySource, &t.SubKeyHash, &t.SecretDigest,
		&t.RebuildGeneration, &t.MachineState, scanTime(&t.CreatedAt), scanTime(&t.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func tenantArgs(t *launchpad.Tenant) []any {
	return []any{t.AppName, t.UserID, t.Product, t.Region, t.Plan, t.Image, t.Network,
		t.MachineID, t.VolumeID, t.IPv4, t.IPv6, string(t.KeySource), t.SubKeyHash, t.SecretDigest,
		t.RebuildGeneration, t.MachineState, timeArg(t.CreatedAt), timeArg(t.UpdatedAt)}
}
