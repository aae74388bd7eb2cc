package controlplane

import (
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/account"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// MeResponse is GET /api/me: who the caller is and what they have.
type MeResponse struct {
	User         MeUser         `json:"user"`
	Subscription MeSubscription `json:"subscription"`
	MFAEnabled   bool           `json:"mfa_enabled"`
	// MFAReenrolRequired: the TOTP factor must be enrolled again (a leaked platform secret);
	// its codes are refused until then.
	MFAReenrolRequired bool       `json:"mfa_reenrol_required,omitempty"`
	Tenants            []MeTenant `json:"tenants"`
	// Usage is the billing cycle's machine hours against the plan's cap and the sub-key's
	// spend against its limit (metering.Summary).
	Usage metering.UsageSummary `json:"usage"`
	// SpendSource says where the spend comes from (account.SpendSource): "openrouter" (the
	// key, read just now), "last_metering_pass" (OpenRouter did not answer in time, or is not
	// configured: only whether the cap was hit, as the meter last saw it), or "none" (no
	// sub-key).
	SpendSource string `json:"spend_source"`
	// Apply is the newest apply of the caller's tenant (nil before the first): whether the
	// last plan change has reached the tenant yet.
	Apply *MeApply `json:"apply,omitempty"`
	// State is the account's one state, as the dashboard's overview tells it
	// (account.State): its kind, notice, deadline and action, the steps of a running change
	// and the warnings of caps at 80%. Operator detail (the apply's error) is never in it.
	State account.State `json:"state"`
}

// MeApply is the state of the caller's newest apply job. Its error text is for operators
// (GET /api/admin/jobs) and is not shown here.
type MeApply struct {
	Status     string      `json:"status"` // queued, running, succeeded, failed, superseded
	Plan       string      `json:"plan,omitempty"`
	Destroy    bool        `json:"destroy"`
	Attempts   int         `json:"attempts"`
	CreatedAt  time.Time   `json:"created_at"`
	StartedAt  *time.Time  `json:"started_at,omitempty"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
	Summary    SummaryJSON `json:"summary"`
}

// MeUser is the caller's account.
type MeUser struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Plan      string    `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
}

// MeSubscription mirrors the Stripe subscription ("none" before checkout).
type MeSubscription struct {
	Status            string     `json:"status"`
	Plan              string     `json:"plan,omitempty"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end,omitempty"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
	// PastDueSince is when a payment failed, while it is unpaid.
	PastDueSince *time.Time `json:"past_due_since,omitempty"`
	// SuspendedAt is set while the tenant's machine is held stopped because the
	// subscription stayed unpaid beyond the grace period; paying starts it again.
	SuspendedAt *time.Time `json:"suspended_at,omitempty"`
}

// meKeyReadTimeout bounds the read of the sub-key's live spend: a slow OpenRouter makes
// /api/me show what the store knows, never makes it fail or hang. (The dashboard, read by a
// person rather than polled by a script, waits longer: web.keyReadTimeout.)
const meKeyReadTimeout = 2 * time.Second

// MeTenant summarises one tenant; no credential or key is part of it.
type MeTenant struct {
	AppName      string    `json:"app_name"`
	Product      string    `json:"product"`
	Region       string    `json:"region"`
	Plan         string    `json:"plan"`
	MachineState string    `json:"machine_state,omitempty"`
	IPv4         string    `json:"ipv4,omitempty"`
	IPv6         string    `json:"ipv6,omitempty"`
	KeySource    string    `json:"key_source,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// handleMe answers the caller's account overview (package account, which the dashboard's
// overview shows too).
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) (*MeResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, principalFrom(ctx).UserID)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
	} else if err != nil {
		return nil, err
	}
	o, err := s.accounts.Overview(ctx, u)
	if err != nil {
		return nil, err
	}
	return meResponse(o), nil
}

// meResponse is an overview as GET /api/me shows it.
func meResponse(o *account.Overview) *MeResponse {
	u := o.User
	resp := &MeResponse{
		User:               MeUser{ID: u.ID, Email: u.Email, Plan: u.Plan, CreatedAt: u.CreatedAt.UTC()},
		MFAEnabled:         u.MFA.Enabled(),
		MFAReenrolRequired: u.MFA.ReenrolRequired,
		Subscription: MeSubscription{
			Status:            u.Subscription.Status,
			Plan:              u.Subscription.Plan,
			CurrentPeriodEnd:  httpjson.Time(u.Subscription.CurrentPeriodEnd),
			CancelAtPeriodEnd: u.Subscription.CancelAtPeriodEnd,
			PastDueSince:      httpjson.Time(u.Subscription.PastDueSince),
			SuspendedAt:       httpjson.Time(u.Control.SuspendedAt),
		},
		Tenants:     make([]MeTenant, 0, len(o.Tenants)),
		Usage:       o.Usage,
		SpendSource: string(o.Spend),
		State:       o.State,
	}
	if resp.Subscription.Status == "" {
		resp.Subscription.Status = "none"
	}
	for _, t := range o.Tenants {
		resp.Tenants = append(resp.Tenants, MeTenant{
			AppName: t.AppName, Product: t.Product, Region: t.Region, Plan: t.Plan, MachineState: string(t.MachineState),
			IPv4: t.IPv4, IPv6: t.IPv6, KeySource: string(t.KeySource), CreatedAt: t.CreatedAt.UTC(),
		})
	}
	if o.LastApply != nil {
		j := jobJSON(o.LastApply)
		resp.Apply = &MeApply{Status: j.Status, Attempts: j.Attempts, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Summary: j.Summary}
		if j.Apply != nil {
			resp.Apply.Plan, resp.Apply.Destroy = j.Apply.Plan, j.Apply.Destroy
		}
	}
	return resp
}
