package controlplane

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// startSession opens a refresh-token family for the user and returns the first pair.
func (s *Server) startSession(ctx context.Context, userID string, d device, now time.Time) (*TokenResponse, error) {
	token, hash := newRefreshToken()
	sess := &launchpad.Session{
		ID:        launchpad.NewID(20),
		UserID:    userID,
		FamilyID:  launchpad.NewID(20),
		TokenHash: hash,
		DeviceID:  d.fingerprint,
		UserAgent: d.userAgent,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.tokenPair(userID, sess.FamilyID, token)
}

func (s *Server) tokenPair(userID, family, refreshToken string) (*TokenResponse, error) {
	access, err := s.tokens.sign(audienceAccess, userID, family, s.cfg.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{AccessToken: access, RefreshToken: refreshToken, ExpiresIn: int(s.cfg.AccessTokenTTL.Seconds())}, nil
}

// RefreshRequest is the body of POST /api/auth/refresh and POST /api/auth/logout.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (req *RefreshRequest) hash() (string, error) {
	t := strings.TrimSpace(req.RefreshToken)
	if t == "" {
		return "", launchpad.Errorf(launchpad.EINVALID, "refresh_token is empty; send the refresh token from the last sign-in or refresh")
	}
	if !strings.HasPrefix(t, refreshTokenPrefix) || len(t) > 100 {
		return "", launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	}
	return hashRefreshToken(t), nil
}

// handleRefresh exchanges a refresh token for a new pair. Each token works once: the store
// marks it rotated in the same transaction that creates its successor, and a rotated token
// presented again means two parties hold it, so its whole family is revoked and audited.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, req *RefreshRequest) (*TokenResponse, error) {
	ctx := r.Context()
	oldHash, err := req.hash()
	if err != nil {
		return nil, err
	}
	now := s.now()
	old, err := s.store.GetSessionByTokenHash(ctx, oldHash)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	} else if err != nil {
		return nil, err
	}
	token, hash := newRefreshToken()
	res, err := s.store.RotateSession(ctx, oldHash, &launchpad.Session{
		ID:        launchpad.NewID(20),
		TokenHash: hash,
		DeviceID:  old.DeviceID,
		UserAgent: sanitizeUserAgent(r.UserAgent()),
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
	}, now)
	switch {
	case launchpad.IsNotFound(err):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	case err != nil:
		return nil, err
	case res.Reused:
		s.metrics.signIn("refresh_reuse")
		s.logger(ctx).Warn("refresh token reused; session family revoked", "user_id", res.Old.UserID, "family", res.Old.FamilyID)
		err := s.audit(ctx, res.Old.UserID, launchpad.ActorSystem, launchpad.AuditRefreshReuse, "session:"+res.Old.FamilyID, map[string]string{
			"ip":     requestInfoFrom(ctx).ClientIP,
			"device": shortFingerprint(res.Old.DeviceID),
		})
		if err != nil {
			return nil, err
		}
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this refresh token was already used, so it may have been copied: every session of that sign-in is now signed out; sign in again")
	}
	s.metrics.signIn("refresh")
	return s.tokenPair(res.New.UserID, res.New.FamilyID, token)
}

// LogoutResponse is the answer of POST /api/auth/logout.
type LogoutResponse struct {
	Status string `json:"status"`
}

// handleLogout revokes the refresh token's whole family. Access tokens already issued stay
// valid until they expire (Config.AccessTokenTTL). Logging out twice is not an error.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, req *RefreshRequest) (*LogoutResponse, error) {
	ctx := r.Context()
	hash, err := req.hash()
	if err != nil {
		return nil, err
	}
	sess, err := s.store.GetSessionByTokenHash(ctx, hash)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; it may belong to a session that no longer exists")
	} else if err != nil {
		return nil, err
	}
	if sess.RevokedAt.IsZero() {
		if err := s.store.RevokeSessionFamily(ctx, sess.FamilyID, s.now()); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, sess.UserID, launchpad.UserActor(sess.UserID), launchpad.AuditLogout, "session:"+sess.FamilyID, map[string]string{
			"ip": requestInfoFrom(ctx).ClientIP,
		}); err != nil {
			return nil, err
		}
		s.metrics.signIn("logout")
	}
	return &LogoutResponse{Status: "signed_out"}, nil
}
