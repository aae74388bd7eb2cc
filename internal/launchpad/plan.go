package launchpad

import (
	"math"
	"regexp"
	"time"
)

// Plan is a launchpad_plan: what a paying user gets.
type Plan struct {
	Name                 string // slug, immutable
	DisplayName          string
	StripePriceID        string // unique across plans when set
	MonthlySpendLimitUSD float64
	MachineHoursPerCycle int
	Guest                Guest
	VolumeSizeGB         int
	AllowPooledKey       bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// PlanDefinition is what a plan's tenants run: the part of a plan a plan rollout carries to
// them, and an abort of it puts back.
type PlanDefinition struct {
	Guest                Guest   `json:"guest"`
	VolumeSizeGB         int     `json:"volume_size_gb"`
	MachineHoursPerCycle int     `json:"machine_hours_per_cycle"`
	MonthlySpendLimitUSD float64 `json:"monthly_spend_limit_usd"`
	AllowPooledKey       bool    `json:"allow_pooled_key"`
}

// Definition returns what p's tenants run.
func (p *Plan) Definition() PlanDefinition {
	return PlanDefinition{Guest: p.Guest, VolumeSizeGB: p.VolumeSizeGB, MachineHoursPerCycle: p.MachineHoursPerCycle,
		MonthlySpendLimitUSD: p.MonthlySpendLimitUSD, AllowPooledKey: p.AllowPooledKey}
}

// SetDefinition makes d what p's tenants run, leaving its name, price and display name.
func (p *Plan) SetDefinition(d PlanDefinition) {
	p.Guest, p.VolumeSizeGB, p.MachineHoursPerCycle = d.Guest, d.VolumeSizeGB, d.MachineHoursPerCycle
	p.MonthlySpendLimitUSD, p.AllowPooledKey = d.MonthlySpendLimitUSD, d.AllowPooledKey
}

// Guest is a Fly machine size.
type Guest struct {
	CPUKind  string // "shared" or "performance"
	CPUs     int
	MemoryMB int
}

var (
	planNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	priceIDPattern  = regexp.MustCompile(`^price_[A-Za-z0-9]{1,64}$`)
)

// Validate checks p and returns the first problem, naming the field and what is valid.
func (p *Plan) Validate() error {
	if err := ValidatePlanName(p.Name); err != nil {
		return err
	}
	if p.StripePriceID != "" {
		if err := ValidateStripePriceID(p.StripePriceID); err != nil {
			return err
		}
	}
	switch {
	case math.IsNaN(p.MonthlySpendLimitUSD) || p.MonthlySpendLimitUSD < 0 || p.MonthlySpendLimitUSD > 100000:
		return Errorf(EINVALID, "monthly_spend_limit_usd must be between 0 and 100000 US dollars")
	case p.MachineHoursPerCycle < 0 || p.MachineHoursPerCycle > 744:
		return Errorf(EINVALID, "machine_hours_per_cycle must be between 0 and 744 (a 31-day month); 0 means no machine time")
	case p.VolumeSizeGB < 1 || p.VolumeSizeGB > 500:
		return Errorf(EINVALID, "volume_size_gb must be between 1 and 500")
	}
	return p.Guest.Validate()
}

// Validate checks a machine size against what Fly offers.
func (g Guest) Validate() error {
	switch g.CPUKind {
	case "shared":
		if !oneOf(g.CPUs, 1, 2, 4, 6, 8) {
			return Errorf(EINVALID, "guest.cpus must be 1, 2, 4, 6 or 8 for cpu_kind \"shared\"")
		}
		if g.MemoryMB < 256 || g.MemoryMB > 2048*g.CPUs || g.MemoryMB%256 != 0 {
			return Errorf(EINVALID, "guest.memory_mb must be a multiple of 256 between 256 and %d for %d shared cpu(s)", 2048*g.CPUs, g.CPUs)
		}
	case "performance":
		if !oneOf(g.CPUs, 1, 2, 4, 8, 16) {
			return Errorf(EINVALID, "guest.cpus must be 1, 2, 4, 8 or 16 for cpu_kind \"performance\"")
		}
		if g.MemoryMB < 2048*g.CPUs || g.MemoryMB > 8192*g.CPUs || g.MemoryMB%256 != 0 {
			return Errorf(EINVALID, "guest.memory_mb must be a multiple of 256 between %d and %d for %d performance cpu(s)", 2048*g.CPUs, 8192*g.CPUs, g.CPUs)
		}
	default:
		return Errorf(EINVALID, "guest.cpu_kind %q is not valid: use \"shared\" or \"performance\"", Clip(g.CPUKind, 40))
	}
	return nil
}

// ValidatePlanName reports whether name is a plan slug.
func ValidatePlanName(name string) error {
	if !planNamePattern.MatchString(name) {
		return Errorf(EINVALID, "plan name %q is not a slug: use 1-40 lower-case letters, digits and dashes, starting with a letter (for example \"pro\")", Clip(name, 60))
	}
	return nil
}

// ValidateStripePriceID reports whether id looks like a Stripe price id.
func ValidateStripePriceID(id string) error {
	if !priceIDPattern.MatchString(id) {
		return Errorf(EINVALID, "stripe_price_id %q is not a Stripe price id; it looks like price_1NxYzAbC", Clip(id, 60))
	}
	return nil
}

func oneOf(v int, allowed ...int) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// CapsPlan is the plan whose caps (machine hours, model spend) apply to a user's tenant: the
// user's plan, else the plan the tenant was last applied with (t may be nil), so a user whose
// plan record is gone keeps the caps their machine runs under. find looks a plan up by name
// and returns ENOTFOUND for one that does not exist; CapsPlan returns nil, nil when neither
// exists.
func CapsPlan(u *User, t *Tenant, find func(name string) (*Plan, error)) (*Plan, error) {
	names := []string{u.Plan}
	if t != nil {
		names = append(names, t.Plan)
	}
	for _, name := range names {
		if name == "" {
			continue
		}
		p, err := find(name)
		if IsNotFound(err) {
			continue
		}
		return p, err
	}
	return nil, nil
}
