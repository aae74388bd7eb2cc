package firestore

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// tenantDoc is a tenant record (launchpad_tenants/{appName}).
type tenantDoc struct {
	AppName           string     `firestore:"appName"`
	UserID            string     `firestore:"userId"`
	Product           string     `firestore:"product"`
	Region            string     `firestore:"region"`
	Plan              string     `firestore:"plan"`
	Image             string     `firestore:"image"`
	Network           string     `firestore:"network"`
	MachineID         string     `firestore:"machineId"`
	VolumeID          string     `firestore:"volumeId"`
	IPv4              string     `firestore:"ipv4"`
	IPv6              string     `firestore:"ipv6"`
	KeySource         string     `firestore:"keySource"`
	SubKeyHash        string     `firestore:"subKeyHash"`
	SecretDigest      string     `firestore:"secretDigest"`
	RebuildGeneration int64      `firestore:"rebuildGeneration"`
	ResetGeneration   int64      `firestore:"resetGeneration"`
	MachineState      string     `firestore:"machineState"`
	CreatedAt         *time.Time `firestore:"createdAt"`
	UpdatedAt         *time.Time `firestore:"updatedAt"`
}

var tenantKind = recordKind[launchpad.Tenant, tenantDoc]{
	what: "tenant", keyName: "AppName",
	col: func(s *Store) string { return s.col.tenants },
	key: func(t *launchpad.Tenant) string { return t.AppName },
	encode: func(t *launchpad.Tenant) *tenantDoc {
		return &tenantDoc{
			AppName: t.AppName, UserID: t.UserID, Product: t.Product, Region: t.Region, Plan: t.Plan,
			Image: t.Image, Network: t.Network, MachineID: t.MachineID, VolumeID: t.VolumeID,
			IPv4: t.IPv4, IPv6: t.IPv6, KeySource: string(t.KeySource), SubKeyHash: t.SubKeyHash,
			SecretDigest: t.SecretDigest, RebuildGeneration: t.RebuildGeneration, ResetGeneration: t.ResetGeneration,
			MachineState: string(t.MachineState), CreatedAt: ts(t.CreatedAt), UpdatedAt: ts(t.UpdatedAt),
		}
	},
	decode: func(d *tenantDoc) *launchpad.Tenant {
		return &launchpad.Tenant{
			AppName: d.AppName, UserID: d.UserID, Product: d.Product, Region: d.Region, Plan: d.Plan,
			Image: d.Image, Network: d.Network, MachineID: d.MachineID, VolumeID: d.VolumeID,
			IPv4: d.IPv4, IPv6: d.IPv6, KeySource: launchpad.KeySource(d.KeySource), SubKeyHash: d.SubKeyHash,
			SecretDigest: d.SecretDigest, RebuildGeneration: d.RebuildGeneration, ResetGeneration: d.ResetGeneration,
			MachineState: launchpad.MachineState(d.MachineState), CreatedAt: fromTS(d.CreatedAt), UpdatedAt: fromTS(d.UpdatedAt),
		}
	},
	times: func(t *launchpad.Tenant) (*time.Time, *time.Time) { return &t.CreatedAt, &t.UpdatedAt },
}

// CreateTenant stores a new tenant. ECONFLICT if the app name is taken. Zero
// CreatedAt/UpdatedAt become the current time.
func (s *Store) CreateTenant(ctx context.Context, t *launchpad.Tenant) error {
	return createRecord(ctx, s, tenantKind, t)
}

// GetTenant returns the tenant with appName, or ENOTFOUND.
func (s *Store) GetTenant(ctx context.Context, appName string) (*launchpad.Tenant, error) {
	return getRecord(ctx, s, tenantKind, appName)
}

// ListTenants returns the tenants matching f, ordered by app name.
func (s *Store) ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error) {
	return listRecords(ctx, s, tenantKind, s.ownedBy(s.col.tenants, f.UserID))
}

// UpdateTenant applies fn to the stored tenant atomically; EINVALID if fn changes AppName.
func (s *Store) UpdateTenant(ctx context.Context, appName string, fn func(*launchpad.Tenant) error) (*launchpad.Tenant, error) {
	return updateRecord(ctx, s, tenantKind, appName, fn)
}

// DeleteTenant removes the tenant record, or returns ENOTFOUND.
func (s *Store) DeleteTenant(ctx context.Context, appName string) error {
	return deleteRecord(ctx, s, tenantKind, appName)
}

// orNow returns t, or the current time when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.clock()
	}
	return t
}
