package controlplane

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// Tenant actions, as TenantActionResponse.Action names them.
const (
	actionKeyRotation   = "key_rotation"
	actionKeyRevocation = "key_revocation"
	actionRebuild       = "rebuild"
	actionReset         = "reset"
)

// TenantActionResponse answers the tenant actions (rotate-key, revoke-key, rebuild, reset). It never
// holds a key, only the hash of the one revoked.
type TenantActionResponse struct {
	UserID string `json:"user_id"`
	Action string `json:"action"` // key_rotation, key_revocation, rebuild or reset
	// Generation is the key rotation, rebuild or reset generation the apply brings the tenant to.
	Generation int64 `json:"generation,omitempty"`
	// KeyHash is the OpenRouter hash of the key revoked (revoke-key only).
	KeyHash string `json:"key_hash,omitempty"`
	// Job is the apply that carries the action out (follow it with GET /api/admin/jobs/{id});
	// absent when the user has nothing to apply (a revoked key of a lapsed subscription).
	Job *JobJSON `json:"job,omitempty"`
	// AuditEventID is the event that records the request in the user's audit stream.
	AuditEventID string `json:"audit_event_id"`
}

// handleAdminExec runs an operator's command in the user's tenant machine, audited before it
// runs (package operator). 503 when Fly is not configured.
func (s *Server) handleAdminExec(w http.ResponseWriter, r *http.Request, req *operator.ExecRequest) (*operator.ExecResponse, error) {
	if s.exec == nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "operator exec needs the Fly Machines API, which this control plane is not configured for: set FLY_API_TOKEN and FLY_ORG (and FLY_FLAPS_BASE_URL for another endpoint) and restart serve")
	}
	return s.exec(w, r, req)
}

// handleAdminRotateKey asks for a new sub-key for the user (a compromised key's remedy): 202
// with the apply that mints it, delivers it to the tenant and only then revokes the old one.
func (s *Server) handleAdminRotateKey(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	userID, actor, err := s.adminTarget(r)
	if err != nil {
		return nil, err
	}
	return s.rotateKey(r.Context(), userID, actor)
}

// handleMeRotateKey is rotate-key for the signed-in user's own tenant, rate-limited per user.
func (s *Server) handleMeRotateKey(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	userID := principalFrom(r.Context()).UserID
	if err := s.limits.rotationsPerUser.Take(userID, s.now()); err != nil {
		return nil, err
	}
	resp, err := s.rotateKey(r.Context(), userID, launchpad.UserActor(userID))
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
	}
	return resp, err
}

// handleAdminRebuild asks for the user's machine to be replaced by one from a clean image, on
// the same volume: 202 with the apply.
func (s *Server) handleAdminRebuild(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	userID, actor, err := s.adminTarget(r)
	if err != nil {
		return nil, err
	}
	return s.bumpTenant(r.Context(), userID, actor, tenantBump{
		action: actionRebuild, verb: "rebuild", reason: launchpad.ReasonRebuild, audit: launchpad.AuditTenantRebuilt,
		bump: func(c *launchpad.TenantControl) int64 { c.RebuildGeneration++; return c.RebuildGeneration },
	})
}

// tenantBump is a tenant action carried out by bumping one generation of TenantControl.
type tenantBump struct {
	action, verb, reason, audit string
	// bump increments the generation and returns its new value.
	bump func(*launchpad.TenantControl) int64
}

// bumpTenant bumps one of the user's tenant generations and enqueues the apply that carries
// it out, audited as requested. ENOTFOUND when the user has no tenant to act on.
func (s *Server) bumpTenant(ctx context.Context, userID, actor string, b tenantBump) (*TenantActionResponse, error) {
	tenants, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		if _, err := s.userOrNotFound(ctx, userID); err != nil {
			return nil, err
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no tenant to %s", userID, b.verb)
	}
	var gen int64
	_, err = s.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		if _, err := s.bg.proc.DesiredNow(u); err != nil {
			return err
		}
		gen = b.bump(&u.Control)
		return nil
	})
	if err != nil {
		return nil, notFoundAsNoUser(err, userID)
	}
	return s.requested(ctx, userID, actor, b.action, gen, b.reason, b.audit, tenants[0].AppName)
}

// handleAdminRevokeKey disables the user's sub-key at OpenRouter at once (the tenant stops
// spending: completions with it answer 401), marks its record disabled, audits it, and
// enqueues an apply so that a stored BYOK key takes over. 503 when OpenRouter is not
// configured.
func (s *Server) handleAdminRevokeKey(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	userID, actor, err := s.adminTarget(r)
	if err != nil {
		return nil, err
	}
	if s.keys == nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "revoking a key needs OpenRouter's key-management API, which this control plane is not configured for: set OPENROUTER_MANAGEMENT_KEY (and OPENROUTER_API_URL for another endpoint) and restart serve")
	}
	ctx := r.Context()
	u, err := s.userOrNotFound(ctx, userID)
	if err != nil {
		return nil, err
	}
	hash := u.OpenRouterKeyHash
	if hash == "" {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no sub-key to revoke", userID)
	}
	if err := subkey.NewService(subkey.Config{Store: s.store, Issuer: s.keys}).Disable(ctx, hash); err != nil {
		var stale *subkey.StaleRecordError
		if !errors.As(err, &stale) {
			return nil, err
		}
		// The key spends nothing all the same.
		s.logger(ctx).Warn("sub-key disabled at OpenRouter, but its record was not updated; the next apply refreshes it", "user", userID, "key", hash, "error", stale.Err.Error())
	}
	ev, err := s.appendAudit(ctx, userID, actor, launchpad.AuditKeyRevoked, hash, map[string]string{
		"reason":        "revoked",
		"byok_fallback": strconv.FormatBool(u.BYOKKey != ""),
	})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "sub-key %s IS revoked (it spends nothing), but the audit log could not be written: %s", hash, launchpad.ErrorMessage(err))
	}
	s.logger(ctx).Info("sub-key revoked by an operator", "user", userID, "key", hash, "actor", actor)
	resp := &TenantActionResponse{UserID: userID, Action: actionKeyRevocation, KeyHash: hash, AuditEventID: ev.ID}
	job, err := s.bg.proc.ApplyNow(ctx, userID, launchpad.ReasonKeyRevoked)
	switch {
	case launchpad.ErrorCode(err) == launchpad.EINVALID:
		// Nothing to apply (a lapsed subscription): the revoked key is all there is to do.
	case err != nil:
		return nil, launchpad.Wrapf(err, "sub-key %s is revoked, but the apply that lets a BYOK key take over was not enqueued; retry with POST /api/admin/tenants/%s/apply", hash, userID)
	default:
		j := jobJSON(job)
		resp.Job = &j
	}
	return resp, nil
}

// rotateKey bumps the user's key rotation generation and enqueues the apply that carries it
// out. Refused (EINVALID) when the user has no sub-key yet or nothing to apply.
func (s *Server) rotateKey(ctx context.Context, userID, actor string) (*TenantActionResponse, error) {
	var gen int64
	var hash string
	_, err := s.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		if u.OpenRouterKeyHash == "" {
			return launchpad.Errorf(launchpad.EINVALID, "user %s has no sub-key to rotate yet: it is minted by the tenant's first apply", userID)
		}
		if _, err := s.bg.proc.DesiredNow(u); err != nil {
			return err
		}
		u.Control.KeyRotationGeneration++
		gen, hash = u.Control.KeyRotationGeneration, u.OpenRouterKeyHash
		return nil
	})
	if err != nil {
		return nil, notFoundAsNoUser(err, userID)
	}
	return s.requested(ctx, userID, actor, actionKeyRotation, gen, launchpad.ReasonKeyRotation, launchpad.AuditKeyRotated, hash)
}

// requested audits the request of a generation just bumped (phase "requested"; the provider
// audits the outcome, so the request comes first in the user's stream) and enqueues the apply
// that carries it out. The generation is stored before either, so a failure here loses
// nothing: the user's next apply carries it.
func (s *Server) requested(ctx context.Context, userID, actor, action string, gen int64, reason, auditAction, target string) (*TenantActionResponse, error) {
	ev, err := s.appendAudit(ctx, userID, actor, auditAction, target, map[string]string{
		"phase":      "requested",
		"generation": strconv.FormatInt(gen, 10),
	})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "generation %d of the %s is recorded for user %s, but the request could not be written to the audit log (%s), so no apply was enqueued; retry when the store is back", gen, action, userID, launchpad.ErrorMessage(err))
	}
	job, err := s.bg.proc.ApplyNow(ctx, userID, reason)
	if err != nil {
		return nil, launchpad.Wrapf(err, "generation %d of the %s is recorded and audited for user %s, but its apply was not enqueued; retry with POST /api/admin/tenants/%s/apply", gen, action, userID, userID)
	}
	s.logger(ctx).Info("tenant action requested", "user", userID, "action", action, "generation", gen, "job", job.ID, "actor", actor)
	j := jobJSON(job)
	return &TenantActionResponse{UserID: userID, Action: action, Generation: gen, Job: &j, AuditEventID: ev.ID}, nil
}

// adminTarget reads the {user_id} of an admin tenant route and the actor to audit: the
// operator the X-Launchpad-Operator header names (as the exec CLI sends it), else the admin
// token.
func (s *Server) adminTarget(r *http.Request) (userID, actor string, err error) {
	if actor, err = s.adminActor(r); err != nil {
		return "", "", err
	}
	userID = r.PathValue("user_id")
	if err := launchpad.ValidateUserID(userID); err != nil {
		return "", "", err
	}
	return userID, actor, nil
}

// userOrNotFound reads a user, naming them when they do not exist.
func (s *Server) userOrNotFound(ctx context.Context, userID string) (*launchpad.User, error) {
	u, err := s.store.GetUser(ctx, userID)
	return u, notFoundAsNoUser(err, userID)
}

// notFoundAsNoUser turns the store's ENOTFOUND for a user into a message that names them.
func notFoundAsNoUser(err error, userID string) error {
	if launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s", userID)
	}
	return err
}

// appendAudit writes one event to the user's stream and returns it.
func (s *Server) appendAudit(ctx context.Context, stream, actor, action, target string, details map[string]string) (*launchpad.AuditEvent, error) {
	ev, err := s.store.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream: stream, Time: s.now(), Actor: actor, Action: action, Target: target, Details: details,
	})
	if err != nil {
		s.logger(ctx).Error("audit event not written", "action", action, "stream", stream, "error", err.Error())
	}
	return ev, err
}
