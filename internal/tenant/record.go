package tenant

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Save writes the tenant's record, creating it if the store lost it. Needs the store.
func (s *Service) Save(ctx context.Context, t *launchpad.Tenant) error {
	_, err := s.store.UpdateTenant(ctx, t.AppName, func(rec *launchpad.Tenant) error {
		created := rec.CreatedAt
		*rec = *t
		rec.CreatedAt = created
		return nil
	})
	if launchpad.IsNotFound(err) {
		return s.store.CreateTenant(ctx, t)
	}
	return err
}

// Find returns the user's tenant of a product, or nil: a user has at most one. Needs the
// store.
func (s *Service) Find(ctx context.Context, userID, product string) (*launchpad.Tenant, error) {
	ts, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Product == product {
			return t, nil
		}
	}
	return nil, nil
}

// Forget removes the tenant's record; one already gone is fine. Needs the store.
func (s *Service) Forget(ctx context.Context, appName string) error {
	if err := s.store.DeleteTenant(ctx, appName); err != nil && !launchpad.IsNotFound(err) {
		return err
	}
	return nil
}

// Lookup returns a tenant's record by its app name, or else by its user and product.
// ENOTFOUND, with a message naming what was looked for, when there is none. Needs the store.
func (s *Service) Lookup(ctx context.Context, appName, userID, product string) (*launchpad.Tenant, error) {
	if appName != "" {
		t, err := s.store.GetTenant(ctx, appName)
		if launchpad.IsNotFound(err) {
			return nil, launchpad.Errorf(launchpad.ENOTFOUND, "No tenant %q is in the Launchpad store.", appName)
		}
		return t, err
	}
	t, err := s.Find(ctx, userID, product)
	if err == nil && t == nil {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "User %s has no %s tenant in the Launchpad store.", userID, product)
	}
	return t, err
}
