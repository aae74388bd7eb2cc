package tenant

import (
	"context"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Adopt returns the record of a tenant being imported by its app name. A tenant created
// elsewhere, with no record in the store, is still importable: its app name says which
// product it is, and AdoptMachine reads its owner from the machine. Needs the store.
func (s *Service) Adopt(ctx context.Context, appName string) (*launchpad.Tenant, error) {
	rec, err := s.store.GetTenant(ctx, appName)
	if launchpad.IsNotFound(err) {
		parts, err := launchpad.ParseAppName(appName)
		if err != nil {
			return nil, err
		}
		return &launchpad.Tenant{AppName: appName, Product: parts.Product, Network: appName}, nil
	}
	if err != nil {
		return nil, err
	}
	rec.AppName = appName
	return rec, nil
}

// AdoptMachine fills what an imported tenant without a store record still lacks — its
// owner, plan, rebuild and reset generations, region and image — from the machine Observe found, whose
// metadata the tenant's creation wrote (machineSpec).
func (b *Boundary) AdoptMachine() {
	t, m := b.Tenant, b.machine
	if m == nil {
		return
	}
	if t.UserID == "" {
		t.UserID = m.Metadata[metaUserID]
		t.Plan = m.Metadata[metaPlan]
		t.RebuildGeneration, _ = strconv.ParseInt(m.Metadata[metaGeneration], 10, 64)
		t.ResetGeneration, _ = strconv.ParseInt(m.Metadata[metaReset], 10, 64) // absent on machines made before resets: 0
	}
	if t.Region == "" {
		t.Region = m.Region
	}
	if t.Image == "" {
		t.Image = m.Image
	}
}
