package controlplane

import (
	"net/http"
)

// RefreshRequest is the body of POST /api/auth/refresh and POST /api/auth/logout.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// handleRefresh exchanges a refresh token for a new pair (auth.Service.Refresh).
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, req *RefreshRequest) (*TokenResponse, error) {
	return tokenResponse(s.auth.Refresh(r.Context(), clientOf(r), req.RefreshToken))
}

// LogoutResponse is the answer of POST /api/auth/logout.
type LogoutResponse struct {
	Status string `json:"status"`
}

// handleLogout revokes the refresh token's whole family (auth.Service.SignOut).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, req *RefreshRequest) (*LogoutResponse, error) {
	if err := s.auth.SignOut(r.Context(), clientOf(r), req.RefreshToken); err != nil {
		return nil, err
	}
	return &LogoutResponse{Status: "signed_out"}, nil
}
