package controlplane

import (
	"context"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
)

// SendVerificationRequest is the body of POST /api/auth/send-verification.
type SendVerificationRequest struct {
	Email string `json:"email"`
}

// SendVerificationResponse is its answer, the same for every well-formed address.
type SendVerificationResponse struct {
	Status string `json:"status"`
}

// handleSendVerification issues a sign-in code (auth.Service.SendCode): every well-formed
// address is answered alike.
func (s *Server) handleSendVerification(w http.ResponseWriter, r *http.Request, req *SendVerificationRequest) (*SendVerificationResponse, error) {
	if err := s.auth.SendCode(r.Context(), clientOf(r), req.Email); err != nil {
		return nil, err
	}
	return &SendVerificationResponse{Status: "sent"}, nil
}

// VerifyRequest is the body of POST /api/auth/verify.
type VerifyRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// TokenResponse ends a sign-in: either tokens, or the demand for a second factor.
type TokenResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty"` // seconds until the access token expires
	MFARequired  bool   `json:"mfa_required,omitempty"`
	MFAToken     string `json:"mfa_token,omitempty"`
}

// tokenResponse is a sign-in step's outcome as the API answers it.
func tokenResponse(res *auth.SignIn, err error) (*TokenResponse, error) {
	if err != nil {
		return nil, err
	}
	if res.MFAToken != "" {
		return &TokenResponse{MFARequired: true, MFAToken: res.MFAToken}, nil
	}
	return &TokenResponse{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, ExpiresIn: int(res.AccessTokenTTL.Seconds())}, nil
}

// handleVerify checks an emailed code (auth.Service.VerifyCode) from this browser's device.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, req *VerifyRequest) (*TokenResponse, error) {
	return tokenResponse(s.signInStep(w, r, func(ctx context.Context, c auth.Client) (*auth.SignIn, error) {
		return s.auth.VerifyCode(ctx, c, req.Email, req.Code)
	}))
}

// VerifyMFARequest is the body of POST /api/auth/mfa/verify: the token from verify and either
// a TOTP code or a recovery code.
type VerifyMFARequest struct {
	MFAToken     string `json:"mfa_token"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// handleVerifyMFA completes a sign-in that needs the second factor
// (auth.Service.VerifySecondFactor).
func (s *Server) handleVerifyMFA(w http.ResponseWriter, r *http.Request, req *VerifyMFARequest) (*TokenResponse, error) {
	return tokenResponse(s.signInStep(w, r, func(ctx context.Context, c auth.Client) (*auth.SignIn, error) {
		return s.auth.VerifySecondFactor(ctx, c, req.MFAToken, req.Code, req.RecoveryCode)
	}))
}
