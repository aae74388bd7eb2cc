package controlplane

import (
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/erasure"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// pseudonymPurpose names the key, derived from PLATFORM_SECRET, of the HMAC that replaces an
// erased user's identifiers in the audit log.
const pseudonymPurpose = "audit-pseudonym"

// newErasure builds the account deletion service: OpenRouter revokes the sub-key when
// configured, Stripe cancels the subscription when STRIPE_API_KEY is set.
func (s *Server) newErasure(deps Deps, wake func()) (*erasure.Service, error) {
	cfg := erasure.Config{
		Store: deps.Store, PseudonymKey: deps.Keyring.Derive(pseudonymPurpose)[0].Key,
		Wake: wake, Now: deps.Now, Logger: s.log.With("component", "erasure"),
	}
	if deps.Keys != nil {
		cfg.Keys = subkey.NewService(subkey.Config{Store: deps.Store, Issuer: deps.Keys})
	}
	if c := deps.Billing.Canceller(); c != nil {
		cfg.Stripe = c
	}
	return erasure.New(cfg)
}

// DeletionResponse answers an account deletion: 202 while it runs in the background (follow
// the job with GET /api/admin/jobs/{id}), 200 with status "erased" once the account is gone.
type DeletionResponse struct {
	UserID string   `json:"user_id"`
	Status string   `json:"status"` // deleting or erased
	Job    *JobJSON `json:"job,omitempty"`
}

// handleDeleteMe deletes the signed-in user's account (step-up required): every session ends
// at once, so the access token that asked stops working within a second.
func (s *Server) handleDeleteMe(w http.ResponseWriter, r *http.Request) {
	if err := s.noParams(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	userID := principalFrom(r.Context()).UserID
	s.deleteAccount(w, r, userID, launchpad.UserActor(userID))
}

// handleAdminDeleteUser deletes a user's account for an operator.
func (s *Server) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request) {
	userID, actor, err := s.adminTarget(r)
	if err == nil {
		err = s.noParams(w, r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.deleteAccount(w, r, userID, actor)
}

// noParams refuses a query string or a body with any field: a deletion takes none, and a
// request carrying some was not meant for this route.
func (s *Server) noParams(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	var none struct{}
	return decodeJSON(w, r, s.cfg.MaxBodyBytes, &none)
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, userID, actor string) {
	res, err := s.bg.erasure.Request(r.Context(), userID, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := DeletionResponse{UserID: userID, Status: res.Status}
	status := http.StatusOK
	if res.Job != nil {
		j := jobJSON(res.Job)
		resp.Job, status = &j, http.StatusAccepted
	}
	httpjson.Write(w, status, resp)
}
