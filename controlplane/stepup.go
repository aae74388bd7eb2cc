package controlplane

import (
	"net/http"
	"time"
)

// Step-up: the security-sensitive routes answer 403 step_up_required to a session whose last
// sign-in is older than Config.StepUpWindow. The user confirms it is them for the session
// they have — POST /api/auth/step-up mails a code, POST /api/auth/step-up/verify takes it (and
// the authenticator code when two-factor is on) — and retries.

// StepUpResponse answers POST /api/auth/step-up.
type StepUpResponse struct {
	Status string `json:"status"` // "sent"
	// SecondFactor is true when the verification needs the authenticator code (or a
	// recovery code) besides the emailed one.
	SecondFactor bool `json:"second_factor"`
}

// handleStepUp mails a confirmation code (auth.Service.StartStepUp).
func (s *Server) handleStepUp(w http.ResponseWriter, r *http.Request, _ *struct{}) (*StepUpResponse, error) {
	ch, err := s.auth.StartStepUp(r.Context(), clientOf(r), callerFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	return &StepUpResponse{Status: "sent", SecondFactor: ch.SecondFactor}, nil
}

// StepUpVerifyRequest is the body of POST /api/auth/step-up/verify: the emailed code and,
// when two-factor is on, exactly one of totp_code and recovery_code.
type StepUpVerifyRequest struct {
	Code         string `json:"code"`
	TOTPCode     string `json:"totp_code"`
	RecoveryCode string `json:"recovery_code"`
}

// StepUpVerifyResponse answers a step-up: a new access token of the same session, which says
// it is recently signed in. The refresh token the client has stays valid, and its refreshes
// keep the new time; the access token the client already has counts as recent too within a
// second on every replica.
type StepUpVerifyResponse struct {
	AccessToken string    `json:"access_token"`
	ExpiresIn   int       `json:"expires_in"` // seconds until the access token expires
	AuthTime    time.Time `json:"auth_time"`
	// StepUpExpiresAt is when the security-sensitive actions need a step-up again.
	StepUpExpiresAt time.Time `json:"step_up_expires_at"`
}

// handleStepUpVerify completes a step-up (auth.Service.VerifyStepUp).
func (s *Server) handleStepUpVerify(w http.ResponseWriter, r *http.Request, req *StepUpVerifyRequest) (*StepUpVerifyResponse, error) {
	res, err := s.auth.VerifyStepUp(r.Context(), clientOf(r), callerFrom(r.Context()), req.Code, req.TOTPCode, req.RecoveryCode)
	if err != nil {
		return nil, err
	}
	return &StepUpVerifyResponse{
		AccessToken: res.AccessToken, ExpiresIn: int(res.AccessTokenTTL.Seconds()),
		AuthTime: res.AuthTime.UTC(), StepUpExpiresAt: res.Until.UTC(),
	}, nil
}
