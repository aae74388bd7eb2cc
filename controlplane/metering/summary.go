package metering

import (
	"math"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// UsageSummary is the read model of a user's usage and caps, for GET /api/me and the
// dashboard's bars. Nothing in it is secret.
type UsageSummary struct {
	CycleStart *time.Time `json:"cycle_start,omitempty"`
	CycleEnd   *time.Time `json:"cycle_end,omitempty"`
	// MeteredAt is the time HoursUsed was counted up to (the last metering pass).
	MeteredAt *time.Time `json:"metered_at,omitempty"`
	HoursUsed float64    `json:"hours_used"`
	// HoursCap is the plan's machine hours per cycle; nil when the plan is unknown.
	HoursCap *int `json:"hours_cap"`
	// Capped is true when the hour cap stopped the machine in this cycle.
	Capped   bool       `json:"capped"`
	CappedAt *time.Time `json:"capped_at,omitempty"`

	// SpendUSD and SpendLimitUSD come from the sub-key (OpenRouter's usage and limit);
	// SpendLimitUSD is nil for a key without a limit, and both are absent without a key.
	SpendUSD          *float64 `json:"spend_usd,omitempty"`
	SpendLimitUSD     *float64 `json:"spend_limit_usd,omitempty"`
	SpendRemainingUSD *float64 `json:"spend_remaining_usd,omitempty"`
	// SpendExhausted is true when model requests answer 402: the key's limit_remaining is
	// at or below zero (or, without a key to read, the meter saw it so in this cycle).
	SpendExhausted   bool       `json:"spend_exhausted"`
	SpendExhaustedAt *time.Time `json:"spend_exhausted_at,omitempty"`

	// Days are the cycle's figures per UTC day, oldest first: only days with something
	// metered. A day's spend is what the meter read on that day (see the package
	// documentation), so it may differ from the model provider's own daily figures.
	Days []DayUsage `json:"days"`
}

// DayUsage is one UTC day of the cycle.
type DayUsage struct {
	Day      string  `json:"day"` // 2006-01-02
	Hours    float64 `json:"hours"`
	SpendUSD float64 `json:"spend_usd"`
}

// Summary builds the usage summary of u. plan may be nil (no cap known); key may be nil (no
// sub-key, or it could not be read: the spend state then comes from the last metering pass).
func Summary(u *launchpad.User, plan *launchpad.Plan, key *launchpad.KeyInfo) UsageSummary {
	usage := u.Usage
	s := UsageSummary{
		CycleStart:       httpjson.Time(usage.CycleStart),
		CycleEnd:         httpjson.Time(usage.CycleEnd),
		MeteredAt:        httpjson.Time(usage.MeteredUntil),
		HoursUsed:        math.Round(usage.Hours()*100) / 100,
		Capped:           !usage.CappedAt.IsZero(),
		CappedAt:         httpjson.Time(usage.CappedAt),
		SpendExhausted:   !usage.SpendExhaustedAt.IsZero(),
		SpendExhaustedAt: httpjson.Time(usage.SpendExhaustedAt),
	}
	s.Days = make([]DayUsage, 0, len(usage.Days))
	for _, d := range usage.Days {
		if d.Day.Before(launchpad.UsageDayOf(usage.CycleStart)) {
			continue // kept from before the cycle began
		}
		s.Days = append(s.Days, DayUsage{Day: d.Day.UTC().Format(time.DateOnly),
			Hours: math.Round(d.MachineSeconds/36) / 100, SpendUSD: math.Round(d.SpendUSD*10000) / 10000})
	}
	if plan != nil {
		c := plan.MachineHoursPerCycle
		s.HoursCap = &c
	}
	if key != nil {
		spend := key.UsageUSD
		s.SpendUSD = &spend
		s.SpendLimitUSD = copyFloat(key.LimitUSD)
		s.SpendRemainingUSD = copyFloat(key.LimitRemaining)
		s.SpendExhausted = spentOut(key) // the key is the live truth
	}
	return s
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
