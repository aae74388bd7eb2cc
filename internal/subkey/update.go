package subkey

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Update changes the limit (and name) of the existing key in place, and puts back a reset
// period or BYOK counting changed at OpenRouter: a plan change never re-mints, so the tenant
// keeps working throughout. Needs the store and the issuer.
func (s *Service) Update(ctx context.Context, hash string, plan *launchpad.Plan, name string) (*launchpad.SubKey, error) {
	limit, reset, byok := plan.MonthlySpendLimitUSD, launchpad.LimitResetMonthly, false
	info, err := s.issuer.UpdateKey(ctx, hash, launchpad.KeyUpdate{
		Name: &name, LimitUSD: &limit, LimitReset: &reset, IncludeBYOKInLimit: &byok,
	})
	if err != nil {
		return nil, err
	}
	k, err := s.store.UpdateSubKey(ctx, hash, func(k *launchpad.SubKey) error {
		k.Plan = plan.Name
		k.Name = name
		refresh(k, info)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Refresh reads the key at OpenRouter and overwrites k's limits and disabled flag with what
// OpenRouter enforces: that is the truth a drifted key must be compared with. ENOTFOUND means
// the key is gone at OpenRouter. Needs the issuer.
func (s *Service) Refresh(ctx context.Context, k *launchpad.SubKey) error {
	info, err := s.issuer.GetKey(ctx, k.Hash)
	if err != nil {
		return err
	}
	refresh(k, info)
	return nil
}

func refresh(k *launchpad.SubKey, info *launchpad.KeyInfo) {
	if info.LimitUSD != nil {
		k.LimitUSD = *info.LimitUSD
	}
	k.LimitReset = info.LimitReset
	k.IncludeBYOKInLimit = info.IncludeBYOKInLimit
	k.Disabled = info.Disabled
}
