package controlplane

import (
	"context"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// MeResponse is GET /api/me: who the caller is and what they have.
type MeResponse struct {
	User         MeUser         `json:"user"`
	Subscription MeSubscription `json:"subscription"`
	MFAEnabled   bool           `json:"mfa_enabled"`
	Tenants      []MeTenant     `json:"tenants"`
	// Usage is the billing cycle's machine hours against the plan's cap and the sub-key's
	// spend against its limit (metering.Summary).
	Usage metering.UsageSummary `json:"usage"`
	// SpendSource says where the spend comes from: "openrouter" (the key, read just now),
	// "last_metering_pass" (OpenRouter did not answer in time, or is not configured: only
	// whether the cap was hit, as the meter last saw it), or "none" (no sub-key).
	SpendSource string `json:"spend_source"`
	// Apply is the newest apply of the caller's tenant (nil before the first): whether the
	// last plan change has reached the tenant yet.
	Apply *MeApply `json:"apply,omitempty"`
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
// /api/me show what the store knows, never makes it fail or hang.
const meKeyReadTimeout = 2 * time.Second

// Spend sources of MeResponse.SpendSource.
const (
	spendFromOpenRouter = "openrouter"
	spendFromLastPass   = "last_metering_pass"
	spendFromNowhere    = "none"
)

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
	tenants, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	resp := &MeResponse{
		User:       MeUser{ID: u.ID, Email: u.Email, Plan: u.Plan, CreatedAt: u.CreatedAt.UTC()},
		MFAEnabled: u.MFA.Enabled(),
		Subscription: MeSubscription{
			Status:            u.Subscription.Status,
			Plan:              u.Subscription.Plan,
			CancelAtPeriodEnd: u.Subscription.CancelAtPeriodEnd,
		},
		Tenants: make([]MeTenant, 0, len(tenants)),
	}
	if resp.Subscription.Status == "" {
		resp.Subscription.Status = "none"
	}
	resp.Subscription.CurrentPeriodEnd = timePtr(u.Subscription.CurrentPeriodEnd)
	resp.Subscription.PastDueSince = timePtr(u.Subscription.PastDueSince)
	resp.Subscription.SuspendedAt = timePtr(u.Control.SuspendedAt)
	plan, err := s.capsPlan(r, u, tenants)
	if err != nil {
		return nil, err
	}
	key, source := s.readSpend(r, u, tenants)
	resp.Usage, resp.SpendSource = metering.Summary(u, plan, key), source
	if resp.Apply, err = s.latestApply(r, u.ID); err != nil {
		return nil, err
	}
	for _, t := range tenants {
		resp.Tenants = append(resp.Tenants, MeTenant{
			AppName: t.AppName, Product: t.Product, Region: t.Region, Plan: t.Plan, MachineState: string(t.MachineState),
			IPv4: t.IPv4, IPv6: t.IPv6, KeySource: string(t.KeySource), CreatedAt: t.CreatedAt.UTC(),
		})
	}
	return resp, nil
}

// latestApply is the user's newest apply job, nil when there is none.
func (s *Server) latestApply(r *http.Request, userID string) (*MeApply, error) {
	jobs, err := s.store.ListJobs(r.Context(), launchpad.JobFilter{Kind: launchpad.JobApply, Key: userID, Limit: 1})
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	j := jobJSON(jobs[0])
	a := &MeApply{Status: j.Status, Attempts: j.Attempts, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Summary: j.Summary}
	if j.Apply != nil {
		a.Plan, a.Destroy = j.Apply.Plan, j.Apply.Destroy
	}
	return a, nil
}

// capsPlan is the plan whose caps apply to u (launchpad.CapsPlan); nil when none is stored.
func (s *Server) capsPlan(r *http.Request, u *launchpad.User, tenants []*launchpad.Tenant) (*launchpad.Plan, error) {
	var t *launchpad.Tenant
	if len(tenants) > 0 {
		t = tenants[0]
	}
	return launchpad.CapsPlan(u, t, func(name string) (*launchpad.Plan, error) { return s.store.GetPlan(r.Context(), name) })
}

// readSpend reads the user's sub-key (the tenant's, else the user's) from OpenRouter within
// meKeyReadTimeout. On any failure it returns nil, so the summary shows the spend state of
// the last metering pass, and logs why.
func (s *Server) readSpend(r *http.Request, u *launchpad.User, tenants []*launchpad.Tenant) (*launchpad.KeyInfo, string) {
	hash := u.OpenRouterKeyHash
	if len(tenants) > 0 && tenants[0].SubKeyHash != "" {
		hash = tenants[0].SubKeyHash
	}
	switch {
	case hash == "":
		return nil, spendFromNowhere
	case s.keys == nil:
		return nil, spendFromLastPass
	}
	ctx, cancel := context.WithTimeout(r.Context(), meKeyReadTimeout)
	defer cancel()
	key, err := s.keys.GetKey(ctx, hash)
	if err != nil {
		s.logger(r.Context()).Warn("the sub-key's spend could not be read for /api/me; showing the last metering pass", "user", u.ID, "key", hash, "error", err.Error())
		return nil, spendFromLastPass
	}
	return key, spendFromOpenRouter
}
