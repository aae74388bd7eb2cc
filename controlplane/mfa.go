package controlplane

import (
	"net/http"
)

// EnrolTOTPResponse is shown once: neither the secret nor the recovery codes can be read back.
type EnrolTOTPResponse struct {
	Secret        string   `json:"secret"`
	OTPAuthURL    string   `json:"otpauth_url"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleEnrolTOTP starts (or restarts) the signed-in user's TOTP enrolment
// (auth.Service.EnrolTOTP).
func (s *Server) handleEnrolTOTP(w http.ResponseWriter, r *http.Request, _ *struct{}) (*EnrolTOTPResponse, error) {
	e, err := s.auth.EnrolTOTP(r.Context(), clientOf(r), principalFrom(r.Context()).UserID)
	if err != nil {
		return nil, err
	}
	return &EnrolTOTPResponse{Secret: e.Secret, OTPAuthURL: e.OTPAuthURL, RecoveryCodes: e.RecoveryCodes}, nil
}

// ConfirmTOTPRequest is the body of POST /api/auth/mfa/totp/confirm.
type ConfirmTOTPRequest struct {
	Code string `json:"code"`
}

// MFAStatusResponse answers a confirmation.
type MFAStatusResponse struct {
	MFAEnabled bool `json:"mfa_enabled"`
}

// handleConfirmTOTP turns the enrolled factor on (auth.Service.ConfirmTOTP).
func (s *Server) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, req *ConfirmTOTPRequest) (*MFAStatusResponse, error) {
	if err := s.auth.ConfirmTOTP(r.Context(), clientOf(r), principalFrom(r.Context()).UserID, req.Code); err != nil {
		return nil, err
	}
	return &MFAStatusResponse{MFAEnabled: true}, nil
}
