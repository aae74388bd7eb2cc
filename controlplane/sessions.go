package controlplane

import (
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
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

// SessionsResponse is GET /api/auth/sessions: the caller's sessions that are signed in,
// newest first.
type SessionsResponse struct {
	Sessions []SessionJSON `json:"sessions"`
}

// SessionJSON is one signed-in session (a refresh-token family).
type SessionJSON struct {
	// ID names the session for DELETE /api/auth/sessions/{id}.
	ID        string `json:"id"`
	UserAgent string `json:"user_agent"`
	// Device is the start of the device's fingerprint, as the audit log names it.
	Device string `json:"device"`
	// AuthTime is the session's last sign-in or step-up (absent for sessions from before
	// step-up existed).
	AuthTime *time.Time `json:"auth_time,omitempty"`
	// LastRefreshedAt is when its current refresh token was issued.
	LastRefreshedAt time.Time `json:"last_refreshed_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	// IP and LastActiveAt are where and when the session was last used (recorded at most
	// about once a minute; IP is empty for sessions from before it was recorded).
	IP           string    `json:"ip"`
	LastActiveAt time.Time `json:"last_active_at"`
	// Current is the session of the access token that asked.
	Current bool `json:"current"`
}

// handleSessions lists the caller's sessions (auth.Service.Sessions).
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) (*SessionsResponse, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	who := callerFrom(r.Context())
	list, err := s.auth.Sessions(r.Context(), who.UserID)
	if err != nil {
		return nil, err
	}
	out := &SessionsResponse{Sessions: make([]SessionJSON, 0, len(list))}
	for _, ss := range list {
		device := ss.DeviceID
		if len(device) > 12 {
			device = device[:12]
		}
		out.Sessions = append(out.Sessions, SessionJSON{
			ID: ss.FamilyID, UserAgent: ss.UserAgent, Device: device, AuthTime: httpjson.Time(ss.AuthTime),
			LastRefreshedAt: ss.CreatedAt.UTC(), ExpiresAt: ss.ExpiresAt.UTC(), Current: ss.FamilyID == who.FamilyID,
			IP: ss.IP, LastActiveAt: ss.LastActive().UTC(),
		})
	}
	return out, nil
}

// handleRevokeSession signs one session out (auth.Service.SignOutSession); another than the
// caller's needs a recent sign-in.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request, _ *struct{}) (*LogoutResponse, error) {
	if err := s.auth.SignOutSession(r.Context(), clientOf(r), callerFrom(r.Context()), r.PathValue("id")); err != nil {
		return nil, err
	}
	return &LogoutResponse{Status: "signed_out"}, nil
}

// handleRevokeOtherSessions signs out every session of the caller but the one asking
// (auth.Service.SignOutOthers).
func (s *Server) handleRevokeOtherSessions(w http.ResponseWriter, r *http.Request, _ *struct{}) (*LogoutResponse, error) {
	if err := s.auth.SignOutOthers(r.Context(), clientOf(r), callerFrom(r.Context())); err != nil {
		return nil, err
	}
	return &LogoutResponse{Status: "others_signed_out"}, nil
}
