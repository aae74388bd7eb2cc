package controlplane

import (
	"net/http"
)

// The two-factor routes are security-sensitive: each needs a sign-in (or step-up) within
// Config.StepUpWindow, else 403 step_up_required (requireStepUp, and the auth service again).

// EnrolTOTPResponse is shown once: neither the secret nor the recovery codes can be read back.
type EnrolTOTPResponse struct {
	Secret        string   `json:"secret"`
	OTPAuthURL    string   `json:"otpauth_url"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleEnrolTOTP starts (or restarts) the signed-in user's TOTP enrolment
// (auth.Service.EnrolTOTP).
func (s *Server) handleEnrolTOTP(w http.ResponseWriter, r *http.Request, _ *struct{}) (*EnrolTOTPResponse, error) {
	e, err := s.auth.EnrolTOTP(r.Context(), clientOf(r), callerFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	return &EnrolTOTPResponse{Secret: e.Secret, OTPAuthURL: e.OTPAuthURL, RecoveryCodes: e.RecoveryCodes}, nil
}

// ConfirmTOTPRequest is the body of POST /api/auth/mfa/totp/confirm.
type ConfirmTOTPRequest struct {
	Code string `json:"code"`
}

// MFAStatusResponse answers a confirmation or a deactivation.
type MFAStatusResponse struct {
	MFAEnabled bool `json:"mfa_enabled"`
	// OtherSessionsSignedOut is true when turning the factor on signed out every other
	// session of the account (it always does).
	OtherSessionsSignedOut bool `json:"other_sessions_signed_out,omitempty"`
}

// handleConfirmTOTP turns the enrolled factor on and signs every other session out
// (auth.Service.ConfirmTOTP).
func (s *Server) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, req *ConfirmTOTPRequest) (*MFAStatusResponse, error) {
	if err := s.auth.ConfirmTOTP(r.Context(), clientOf(r), callerFrom(r.Context()), req.Code); err != nil {
		return nil, err
	}
	return &MFAStatusResponse{MFAEnabled: true, OtherSessionsSignedOut: true}, nil
}

// handleDisableTOTP turns the factor off, or abandons an enrolment
// (auth.Service.DisableTOTP).
func (s *Server) handleDisableTOTP(w http.ResponseWriter, r *http.Request, _ *struct{}) (*MFAStatusResponse, error) {
	if err := s.auth.DisableTOTP(r.Context(), clientOf(r), callerFrom(r.Context())); err != nil {
		return nil, err
	}
	return &MFAStatusResponse{MFAEnabled: false}, nil
}

// RecoveryCodesResponse is shown once.
type RecoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleRegenerateRecoveryCodes replaces the recovery codes
// (auth.Service.RegenerateRecoveryCodes).
func (s *Server) handleRegenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, _ *struct{}) (*RecoveryCodesResponse, error) {
	codes, err := s.auth.RegenerateRecoveryCodes(r.Context(), clientOf(r), callerFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	return &RecoveryCodesResponse{RecoveryCodes: codes}, nil
}
