// Package account is the account overview read model: everything GET /api/me answers and the
// dashboard's overview page shows about one user, read in one place so the two never
// disagree — the user and their subscription, the plan whose caps apply, the tenants, the
// cycle's hours and spend against those caps, and the newest apply.
package account

import (
	"context"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Overview is one user's account.
type Overview struct {
	User *launchpad.User
	// Plan is the plan whose caps apply (launchpad.CapsPlan); nil when no plan is stored.
	Plan    *launchpad.Plan
	Tenants []*launchpad.Tenant
	// Usage is the billing cycle's machine hours against the plan's cap and the sub-key's
	// spend against its limit (metering.Summary).
	Usage metering.UsageSummary
	// Spend says where Usage's spend comes from.
	Spend SpendSource
	// SpendUnread is set when the sub-key's live spend was asked for and not read in time:
	// Usage then shows whether the cap was hit as the last metering pass saw it.
	SpendUnread bool
	// SpendLimitReset is the period after which OpenRouter restores the key's limit
	// (notice.NextLimitReset): the live key's limit_reset, "" when it never resets by itself, and
	// monthly — what every Launchpad sub-key is minted with and kept at — when the key was
	// not read.
	SpendLimitReset string
	// LastApply is the user's newest apply job (nil before the first): whether the last plan
	// change has reached the tenant yet.
	LastApply *launchpad.Job
	// PlanName is the user's plan as every page names it (notice.PlanName).
	PlanName string
	// State is the account's one state (Decide): its notice, deadline, action and warnings.
	State State
}

// SpendSource is where an overview's spend comes from.
type SpendSource string

// Spend sources.
const (
	SpendFromOpenRouter SpendSource = "openrouter"         // the key, read just now
	SpendFromLastPass   SpendSource = "last_metering_pass" // OpenRouter did not answer in time, or is not configured
	SpendFromNowhere    SpendSource = "none"               // no sub-key
)

// Store is what an overview is read from.
type Store interface {
	launchpad.PlanStore
	launchpad.TenantStore
	launchpad.JobStore
}

// DefaultKeyReadTimeout is Reader.KeyReadTimeout's default.
const DefaultKeyReadTimeout = 2 * time.Second

// Reader reads overviews. Store is required.
type Reader struct {
	Store Store
	// Keys is OpenRouter's key-management API, read for the sub-key's live spend; nil shows
	// the spend state of the last metering pass.
	Keys launchpad.KeyIssuer
	// KeyReadTimeout bounds the read of the live spend, so a slow OpenRouter delays an
	// overview by at most this much and never fails it; 0 means DefaultKeyReadTimeout.
	KeyReadTimeout time.Duration
	// Logger is told why a live spend could not be read; nil discards.
	Logger *slog.Logger
	// Grace and Retention are billing's past-due grace and volume retention
	// (LAUNCHPAD_PAST_DUE_GRACE, LAUNCHPAD_VOLUME_RETENTION), for the state's deadlines;
	// 0 means launchpad's defaults.
	Grace, Retention time.Duration
	// Now is the clock of the state's deadlines; nil means time.Now.
	Now func() time.Time
}

// Overview reads u's account. Errors are the store's.
func (r *Reader) Overview(ctx context.Context, u *launchpad.User) (*Overview, error) {
	tenants, err := r.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	o := &Overview{User: u, Tenants: tenants}
	var first *launchpad.Tenant
	if len(tenants) > 0 {
		first = tenants[0]
	}
	if o.Plan, err = launchpad.CapsPlan(u, first, func(name string) (*launchpad.Plan, error) { return r.Store.GetPlan(ctx, name) }); err != nil {
		return nil, err
	}
	key := r.readSpend(ctx, u, first, o)
	o.Usage = metering.Summary(u, o.Plan, key)
	jobs, err := r.Store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobApply, Key: u.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(jobs) > 0 {
		o.LastApply = jobs[0]
	}
	// The user's own plan names the account (a cancelled one is on the trial, even while its
	// tenant keeps the caps of the plan it was applied with).
	if o.Plan != nil && o.Plan.Name == u.Plan {
		o.PlanName = notice.PlanName(o.Plan, u.Plan)
	} else {
		o.PlanName = notice.PlanName(nil, u.Plan)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	o.State = Decide(o, Lifecycle{Now: now(), Grace: r.Grace, Retention: r.Retention})
	return o, nil
}

// readSpend reads the user's sub-key (the tenant's, else the user's) from OpenRouter within
// KeyReadTimeout and sets o.Spend (and o.SpendUnread). On any failure it returns nil, so the
// summary shows the spend state of the last metering pass, and logs why.
func (r *Reader) readSpend(ctx context.Context, u *launchpad.User, t *launchpad.Tenant, o *Overview) *launchpad.KeyInfo {
	hash := u.OpenRouterKeyHash
	if t != nil && t.SubKeyHash != "" {
		hash = t.SubKeyHash
	}
	o.SpendLimitReset = launchpad.LimitResetMonthly
	switch {
	case hash == "":
		o.Spend = SpendFromNowhere
		return nil
	case r.Keys == nil:
		o.Spend = SpendFromLastPass
		return nil
	}
	timeout := r.KeyReadTimeout
	if timeout <= 0 {
		timeout = DefaultKeyReadTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	key, err := r.Keys.GetKey(ctx, hash)
	if err != nil {
		if r.Logger != nil {
			r.Logger.Warn("the sub-key's spend could not be read; showing the last metering pass", "user_id", u.ID, "key", hash, "error", err.Error())
		}
		o.Spend, o.SpendUnread = SpendFromLastPass, true
		return nil
	}
	o.Spend, o.SpendLimitReset = SpendFromOpenRouter, key.LimitReset
	return key
}
