package controlplane

import (
	"context"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// resetBump is the reset: launchpad_tenant.reset_generation. The apply snapshots the volume
// (kept for the tenant's workspace retention), gives the tenant a new empty volume and a new
// machine from a clean image; the provider audits the outcome as tenant.reset with the
// snapshot's id.
var resetBump = tenantBump{
	action: actionReset, verb: "reset", reason: launchpad.ReasonReset, audit: launchpad.AuditTenantReset,
	bump: func(c *launchpad.TenantControl) int64 { c.ResetGeneration++; return c.ResetGeneration },
}

// handleAdminReset asks for the user's tenant to be reset from a clean image with an empty
// /workspace (unlike rebuild, which keeps the volume): 202 with the apply.
func (s *Server) handleAdminReset(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	userID, actor, err := s.adminTarget(r)
	if err != nil {
		return nil, err
	}
	return s.bumpTenant(r.Context(), userID, actor, resetBump)
}

// handleMeReset is the reset for the signed-in user's own tenant. It wipes the workspace (a
// snapshot is kept), so it needs a recent sign-in (step-up), and it is rate-limited per user
// with rotate-key.
func (s *Server) handleMeReset(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	if err := s.auth.RequireStepUp(callerFrom(r.Context())); err != nil {
		return nil, err
	}
	userID := principalFrom(r.Context()).UserID
	if err := s.limits.rotationsPerUser.Take(userID, s.now()); err != nil {
		return nil, err
	}
	resp, err := s.resetOwn(r.Context(), userID)
	if launchpad.IsNotFound(err) {
		if _, uerr := s.store.GetUser(r.Context(), userID); launchpad.IsNotFound(uerr) {
			return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "you have no tenant to reset yet: it is created by your subscription's first apply")
	}
	return resp, err
}

func (s *Server) resetOwn(ctx context.Context, userID string) (*TenantActionResponse, error) {
	return s.bumpTenant(ctx, userID, launchpad.UserActor(userID), resetBump)
}
