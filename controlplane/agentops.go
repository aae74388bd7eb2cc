package controlplane

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// What a customer does to their own agent: restart it, rebuild it, store or remove their own
// model key. The JSON API (POST /api/me/restart, /api/me/rebuild, PUT and DELETE
// /api/me/byok) and the dashboard's agent page call the same functions below, so the checks,
// rate limits and audit events are one.

const (
	actionRestart    = "restart"
	actionBYOKStored = "byok_stored"
	actionBYOKRemove = "byok_removed"
)

// restartStopTimeout bounds the wait for the machine to stop before it is started again.
const restartStopTimeout = 60 * time.Second

// maxBYOKKeyLength bounds a stored key: model vendors' keys are well under it.
const maxBYOKKeyLength = 512

// BYOKRequest is the body of PUT /api/me/byok.
type BYOKRequest struct {
	// Key is the user's own model key (an OpenRouter key). It is sealed at once and never
	// shown again: no answer, log line or audit entry holds it.
	Key string `json:"key"`
}

// handleMeRestart stops the signed-in user's machine and starts it again (same image, volume
// and key): 200 once it is starting. Rate-limited with rotate-key.
func (s *Server) handleMeRestart(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	return s.restartOwn(r.Context(), principalFrom(r.Context()).UserID)
}

// handleMeRebuild replaces the signed-in user's machine by one from a clean image on the same
// volume: 202 with the apply. Rate-limited with rotate-key.
func (s *Server) handleMeRebuild(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	return s.rebuildOwn(r.Context(), principalFrom(r.Context()).UserID)
}

// handleMeSetBYOK stores the signed-in user's own model key (step-up): 202 with the apply
// that delivers it to the agent. Not rate-limited with the other actions: the step-up guards
// it, and a key typed wrong must be replaceable at once.
func (s *Server) handleMeSetBYOK(w http.ResponseWriter, r *http.Request, req *BYOKRequest) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	if err := s.auth.RequireStepUp(callerFrom(r.Context())); err != nil {
		return nil, err
	}
	if err := checkBYOKKey(req.Key); err != nil {
		return nil, err
	}
	return s.setOwnBYOK(r.Context(), principalFrom(r.Context()).UserID, req.Key)
}

// handleMeRemoveBYOK removes the signed-in user's own model key (step-up): 202 with the apply
// that puts the sub-key back.
func (s *Server) handleMeRemoveBYOK(w http.ResponseWriter, r *http.Request, _ *struct{}) (*TenantActionResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	if err := s.auth.RequireStepUp(callerFrom(r.Context())); err != nil {
		return nil, err
	}
	return s.setOwnBYOK(r.Context(), principalFrom(r.Context()).UserID, "")
}

// ownTenant is the user's tenant, or ENOTFOUND in words for its owner.
func (s *Server) ownTenant(ctx context.Context, userID, verb string) (*launchpad.Tenant, error) {
	tenants, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		if _, err := s.store.GetUser(ctx, userID); launchpad.IsNotFound(err) {
			return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
		}
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "you have no agent to %s yet: it is created by your subscription's first apply", verb)
	}
	return tenants[0], nil
}

// restartOwn restarts the user's machine at Fly: audited first, then stopped, waited for and
// started. A machine that is not running (stopped at its hour cap, suspended, or being
// changed by an apply) is left alone: ECONFLICT says why.
func (s *Server) restartOwn(ctx context.Context, userID string) (*TenantActionResponse, error) {
	if s.runtime == nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "restarting an agent needs the Fly Machines API, which this control plane is not configured for: set FLY_API_TOKEN and FLY_ORG and restart serve")
	}
	t, err := s.ownTenant(ctx, userID, "restart")
	if err != nil {
		return nil, err
	}
	if err := s.limits.rotationsPerUser.Take(userID, s.now()); err != nil {
		return nil, err
	}
	if t.MachineID == "" {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "your agent has no machine just now: an apply is making one; try again when it has finished")
	}
	m, err := s.runtime.GetMachine(ctx, t.AppName, t.MachineID)
	if err != nil {
		return nil, err
	}
	if m.State != launchpad.MachineStarted {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "your agent is %s, not running, so there is nothing to restart: a stopped agent starts again when its hours or payment allow", m.State)
	}
	ev, err := s.appendAudit(ctx, userID, launchpad.UserActor(userID), launchpad.AuditTenantRestarted, t.AppName, map[string]string{"machine": t.MachineID})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the restart could not be written to the audit log, so your agent was not restarted; try again in a minute")
	}
	if err := s.runtime.StopMachine(ctx, t.AppName, t.MachineID); err != nil {
		return nil, err
	}
	if err := s.runtime.WaitMachine(ctx, t.AppName, t.MachineID, launchpad.MachineStopped, restartStopTimeout); err != nil {
		return nil, err
	}
	if err := s.runtime.StartMachine(ctx, t.AppName, t.MachineID); err != nil {
		return nil, err
	}
	s.logger(ctx).Info("tenant restarted", "user", userID, "app", t.AppName, "machine", t.MachineID)
	return &TenantActionResponse{UserID: userID, Action: actionRestart, AuditEventID: ev.ID}, nil
}

// rebuildOwn is the rebuild for the user's own tenant, audited as theirs.
func (s *Server) rebuildOwn(ctx context.Context, userID string) (*TenantActionResponse, error) {
	if _, err := s.ownTenant(ctx, userID, "rebuild"); err != nil {
		return nil, err
	}
	if err := s.limits.rotationsPerUser.Take(userID, s.now()); err != nil {
		return nil, err
	}
	return s.bumpTenant(ctx, userID, launchpad.UserActor(userID), tenantBump{
		action: actionRebuild, verb: "rebuild", reason: launchpad.ReasonRebuild, audit: launchpad.AuditTenantRebuilt,
		bump: func(c *launchpad.TenantControl) int64 { c.RebuildGeneration++; return c.RebuildGeneration },
	})
}

// checkBYOKKey refuses what cannot be a model key, naming the field; the key is never quoted.
func checkBYOKKey(key string) error {
	switch {
	case key == "":
		return launchpad.Errorf(launchpad.EINVALID, "key is empty: paste your model key, or remove the stored one instead")
	case len(key) > maxBYOKKeyLength:
		return launchpad.Errorf(launchpad.EINVALID, "key is %d characters long, more than the %d a model key has: paste the key alone", len(key), maxBYOKKeyLength)
	case strings.IndexFunc(key, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0:
		return launchpad.Errorf(launchpad.EINVALID, "key holds spaces, line breaks or characters a model key does not: paste the key alone, without quotes")
	}
	return nil
}

// setOwnBYOK seals key as the user's own model key ("" removes it), audits it (never the
// key) and enqueues the apply that delivers the resolved key to the agent. A replaced key
// keeps the key source at byok, which an apply would not notice; the sub-key is then rotated
// as well, which makes the apply deliver the key again.
func (s *Server) setOwnBYOK(ctx context.Context, userID, key string) (*TenantActionResponse, error) {
	if key != "" {
		if err := checkBYOKKey(key); err != nil {
			return nil, err
		}
	}
	u, err := s.store.GetUser(ctx, userID)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if key == "" && u.BYOKKey == "" {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "you have no model key of your own stored: there is nothing to remove")
	}
	replaced := key != "" && u.BYOKKey != ""
	svc := tenant.NewService(tenant.Config{Store: s.store, Keyring: s.keyring})
	if err := svc.StoreBYOK(ctx, userID, key); err != nil {
		return nil, err
	}
	action, auditAction := actionBYOKStored, launchpad.AuditBYOKStored
	if key == "" {
		action, auditAction = actionBYOKRemove, launchpad.AuditBYOKRemoved
	}
	ev, err := s.appendAudit(ctx, userID, launchpad.UserActor(userID), auditAction, "", map[string]string{"replaced": strconv.FormatBool(replaced)})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "your key change is stored, but it could not be written to the audit log, so your agent was not updated; try again in a minute")
	}
	if replaced && u.OpenRouterKeyHash != "" {
		resp, err := s.rotateKey(ctx, userID, launchpad.UserActor(userID))
		if err != nil {
			return nil, err
		}
		resp.Action, resp.AuditEventID = action, ev.ID
		return resp, nil
	}
	resp := &TenantActionResponse{UserID: userID, Action: action, AuditEventID: ev.ID}
	if tenants, err := s.store.ListTenants(ctx, launchpad.TenantFilter{UserID: userID}); err != nil || len(tenants) == 0 {
		return resp, err // no agent yet: its first apply takes the key
	}
	job, err := s.bg.proc.ApplyNow(ctx, userID, launchpad.ReasonBYOK)
	if err != nil {
		return nil, launchpad.Wrapf(err, "your key change is stored and audited, but the apply that delivers it was not enqueued; it is delivered by your agent's next apply")
	}
	j := jobJSON(job)
	resp.Job = &j
	return resp, nil
}
