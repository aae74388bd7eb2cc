package controlplane

import (
	"context"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// routes is every route of the API, in one place. Handlers are small functions adapted by
// handleJSON / handleGet; authentication wraps them here, so a route's exposure is visible
// at a glance.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()

	// Operations.
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", s.requireMetricsToken(s.metrics.handler()))

	// Sign-in and sessions (anonymous: the body carries the proof).
	mux.Handle("POST /api/auth/send-verification", handleJSON(s, http.StatusAccepted, s.handleSendVerification))
	mux.Handle("POST /api/auth/verify", handleJSON(s, http.StatusOK, s.handleVerify))
	mux.Handle("POST /api/auth/mfa/verify", handleJSON(s, http.StatusOK, s.handleVerifyMFA))
	mux.Handle("POST /api/auth/refresh", handleJSON(s, http.StatusOK, s.handleRefresh))
	mux.Handle("POST /api/auth/logout", handleJSON(s, http.StatusOK, s.handleLogout))

	// The signed-in user.
	mux.Handle("POST /api/auth/step-up", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleStepUp)))
	mux.Handle("POST /api/auth/step-up/verify", s.requireUser(handleJSON(s, http.StatusOK, s.handleStepUpVerify)))
	mux.Handle("GET /api/auth/sessions", s.requireUser(handleGet(s, s.handleSessions)))
	mux.Handle("DELETE /api/auth/sessions/{id}", s.requireUser(handleJSON(s, http.StatusOK, s.handleRevokeSession))) // step-up unless the caller's own
	// Security-sensitive: a sign-in or step-up within Config.StepUpWindow.
	mux.Handle("POST /api/auth/sessions/revoke-others", s.requireUser(s.requireStepUp(handleJSON(s, http.StatusOK, s.handleRevokeOtherSessions))))
	mux.Handle("POST /api/auth/mfa/totp", s.requireUser(s.requireStepUp(handleJSON(s, http.StatusOK, s.handleEnrolTOTP))))
	mux.Handle("POST /api/auth/mfa/totp/confirm", s.requireUser(s.requireStepUp(handleJSON(s, http.StatusOK, s.handleConfirmTOTP))))
	mux.Handle("DELETE /api/auth/mfa/totp", s.requireUser(s.requireStepUp(handleJSON(s, http.StatusOK, s.handleDisableTOTP))))
	mux.Handle("POST /api/auth/mfa/recovery-codes", s.requireUser(s.requireStepUp(handleJSON(s, http.StatusOK, s.handleRegenerateRecoveryCodes))))
	mux.Handle("GET /api/me", s.requireUser(handleGet(s, s.handleMe)))
	mux.Handle("GET /api/audit", s.requireUser(handleGet(s, s.handleAudit)))
	mux.Handle("POST /api/me/rotate-key", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleMeRotateKey)))
	mux.Handle("POST /api/me/reset", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleMeReset)))
	mux.Handle("POST /api/me/restart", s.requireUser(handleJSON(s, http.StatusOK, s.handleMeRestart)))
	mux.Handle("POST /api/me/rebuild", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleMeRebuild)))
	mux.Handle("PUT /api/me/byok", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleMeSetBYOK)))       // step-up
	mux.Handle("DELETE /api/me/byok", s.requireUser(handleJSON(s, http.StatusAccepted, s.handleMeRemoveBYOK))) // step-up
	// The user's data: everything held about them, and deleting the account (erasure).
	mux.Handle("GET /api/me/export", s.requireUser(handleGet(s, s.handleExportMe)))
	mux.Handle("DELETE /api/me", s.requireUser(s.requireStepUp(http.HandlerFunc(s.handleDeleteMe))))

	// The verifiable audit log: the signed checkpoint is public (it reveals only a size and a
	// root hash); an inclusion proof only of the signed-in user's own events.
	mux.HandleFunc("GET /api/audit/checkpoint", s.handleAuditCheckpoint)
	mux.Handle("GET /api/audit/{id}/proof", s.requireUser(handleGet(s, s.handleAuditProof)))

	// Stripe (the signature on the raw body is the proof; billing reads the body itself).
	mux.Handle("POST /api/stripe/webhook", s.bg.webhook)

	// Operators (LAUNCHPAD_ADMIN_TOKEN).
	mux.Handle("GET /api/admin/audit", s.requireAdmin(handleGet(s, s.handleAdminAudit)))
	mux.Handle("POST /api/admin/tenants/{user_id}/apply", s.requireAdmin(handleJSON(s, http.StatusAccepted, s.handleAdminApply)))
	mux.Handle("POST /api/admin/tenants/{user_id}/exec", s.requireAdmin(handleJSON(s, http.StatusOK, s.handleAdminExec)))
	mux.Handle("POST /api/admin/tenants/{user_id}/rotate-key", s.requireAdmin(handleJSON(s, http.StatusAccepted, s.handleAdminRotateKey)))
	mux.Handle("POST /api/admin/tenants/{user_id}/revoke-key", s.requireAdmin(handleJSON(s, http.StatusOK, s.handleAdminRevokeKey)))
	mux.Handle("POST /api/admin/tenants/{user_id}/rebuild", s.requireAdmin(handleJSON(s, http.StatusAccepted, s.handleAdminRebuild)))
	mux.Handle("POST /api/admin/tenants/{user_id}/reset", s.requireAdmin(handleJSON(s, http.StatusAccepted, s.handleAdminReset)))
	mux.Handle("GET /api/admin/users/{user_id}/export", s.requireAdmin(handleGet(s, s.handleAdminExportUser)))
	mux.Handle("DELETE /api/admin/users/{user_id}", s.requireAdmin(http.HandlerFunc(s.handleAdminDeleteUser)))
	mux.Handle("GET /api/admin/jobs", s.requireAdmin(handleGet(s, s.handleAdminJobs)))
	mux.Handle("GET /api/admin/jobs/{id}", s.requireAdmin(handleGet(s, s.handleAdminJob)))
	mux.Handle("GET /api/admin/jobs/{id}/log", s.requireAdmin(http.HandlerFunc(s.handleAdminJobLog)))
	mux.Handle("POST /api/admin/rollouts", s.requireAdmin(handleJSON(s, http.StatusAccepted, s.handleAdminStartRollout)))
	mux.Handle("GET /api/admin/rollouts", s.requireAdmin(handleGet(s, s.handleAdminRollouts)))
	mux.Handle("GET /api/admin/rollouts/{id}", s.requireAdmin(handleGet(s, s.handleAdminRollout)))
	mux.Handle("POST /api/admin/rollouts/{id}/pause", s.requireAdmin(handleJSON(s, http.StatusOK, s.rolloutAction(pauseRollout))))
	mux.Handle("POST /api/admin/rollouts/{id}/resume", s.requireAdmin(handleJSON(s, http.StatusOK, s.rolloutAction(resumeRollout))))
	mux.Handle("POST /api/admin/rollouts/{id}/abort", s.requireAdmin(handleJSON(s, http.StatusOK, s.rolloutAction(abortRollout))))

	// The customer dashboard: its pages, forms, live audit feed and assets.
	s.web.Mount(mux)

	return mux
}

// HealthResponse answers /healthz and /readyz.
type HealthResponse struct {
	Status string `json:"status"`
}

// handleHealthz says the process serves HTTP; it checks nothing else, so an orchestrator
// does not restart a healthy process because the store is briefly away.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, HealthResponse{Status: "ok"})
}

// handleReadyz says the store answers, so a load balancer can take the replica out of rotation.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(ctx).Warn("store not reachable", "error", err.Error())
		s.writeError(w, r, launchpad.Errorf(launchpad.EUNAVAILABLE, "the store is not reachable"))
		return
	}
	httpjson.Write(w, http.StatusOK, HealthResponse{Status: "ready"})
}
