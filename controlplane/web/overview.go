package web

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// keyReadTimeout bounds the read of the sub-key's spend, so a slow OpenRouter slows the
// overview by at most this much (the page then shows the last metering pass's state). A
// person waits for the page a little longer than a script polling GET /api/me does.
const keyReadTimeout = 5 * time.Second

// overviewData is the overview page: the tenant, the plan and the two caps.
type overviewData struct {
	Plan         *launchpad.Plan // nil when the plan record is unknown
	PlanName     string
	Subscription launchpad.Subscription
	Tenants      []tenantView
	Usage        metering.UsageSummary
	Hours        *bar // nil when the plan is unknown
	Spend        *bar // nil without a limited key
	// SpendUnread is set when the sub-key could not be read just now.
	SpendUnread bool
	// SpendResetsAt is when OpenRouter restores the key's spend limit by itself (for
	// Launchpad's monthly keys, 00:00 UTC on the 1st of next month, not the end of the Stripe
	// cycle); nil when it never does.
	SpendResetsAt *time.Time
	// Apply is the newest plan change being applied (queued or running), if any.
	Apply *launchpad.Job
}

// tenantView is one tenant as the overview shows it.
type tenantView struct {
	*launchpad.Tenant
	State string // the machine state in words
}

// bar is a quantity against its cap, drawn as a <meter> with the numbers beside it.
type bar struct {
	Value, Max float64
	Low, High  float64 // where the meter turns amber and red
	Percent    int
}

func newBar(value, max float64) *bar {
	b := &bar{Value: value, Max: max, Low: 0.75 * max, High: 0.9 * max}
	if max > 0 {
		b.Percent = int(math.Round(100 * value / max))
	} else if value > 0 {
		b.Percent = 100
	}
	return b
}

// handleOverview shows the signed-in user's tenant and caps.
func (h *Handler) handleOverview(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.overview(r.Context(), s.user)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "overview", signedInView(s, "Overview", "overview", d))
}

// overview is the user's account overview (package account, which GET /api/me answers too)
// as the page shows it.
func (h *Handler) overview(ctx context.Context, u *launchpad.User) (*overviewData, error) {
	o, err := h.accounts.Overview(ctx, u)
	if err != nil {
		return nil, err
	}
	d := &overviewData{Plan: o.Plan, PlanName: u.Plan, Subscription: u.Subscription, Usage: o.Usage, SpendUnread: o.SpendUnread}
	if at, ok := account.NextLimitReset(o.SpendLimitReset, h.now()); ok {
		d.SpendResetsAt = &at
	}
	for _, t := range o.Tenants {
		d.Tenants = append(d.Tenants, tenantView{Tenant: t, State: machineStateLabel(t.MachineState)})
	}
	if d.Plan != nil && d.Plan.DisplayName != "" {
		d.PlanName = d.Plan.DisplayName
	}
	if d.Usage.HoursCap != nil {
		d.Hours = newBar(d.Usage.HoursUsed, float64(*d.Usage.HoursCap))
	}
	if d.Usage.SpendUSD != nil && d.Usage.SpendLimitUSD != nil {
		d.Spend = newBar(*d.Usage.SpendUSD, *d.Usage.SpendLimitUSD)
	}
	if a := o.LastApply; a != nil && (a.Status == launchpad.JobQueued || a.Status == launchpad.JobRunning) {
		d.Apply = a
	}
	return d, nil
}

// machineStateLabel puts a Fly machine state into words.
func machineStateLabel(state launchpad.MachineState) string {
	switch {
	case state == launchpad.MachineStarted:
		return "Running"
	case state.Down():
		return "Stopped"
	case state == launchpad.MachineCreated:
		return "Created, not started"
	case state.Gone():
		return "Removed"
	case state == "":
		return "Not reported yet"
	}
	switch state {
	case launchpad.MachineStarting, launchpad.MachineStopping, launchpad.MachineReplacing, launchpad.MachineUpdating, launchpad.MachineLaunching:
		return "Changing (" + string(state) + ")"
	}
	return string(state)
}
