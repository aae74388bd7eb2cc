package auth

import (
	"context"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// startSession opens a refresh-token family for the user and returns the first pair.
func (s *Service) startSession(ctx context.Context, userID string, d device, now time.Time) (*SignIn, error) {
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

func (s *Service) tokenPair(userID, family, refreshToken string) (*SignIn, error) {
	access, err := s.tokens.sign(audienceAccess, userID, family, s.cfg.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	return &SignIn{AccessToken: access, RefreshToken: refreshToken, AccessTokenTTL: s.cfg.AccessTokenTTL}, nil
}

// refreshTokenHash is the stored hash of a refresh token as a client sent it: EINVALID when
// it is empty, EUNAUTHORIZED when it cannot be one of ours.
func refreshTokenHash(token string) (string, error) {
	t := strings.TrimSpace(token)
	if t == "" {
		return "", launchpad.Errorf(launchpad.EINVALID, "refresh_token is empty; send the refresh token from the last sign-in or refresh")
	}
	if !strings.HasPrefix(t, refreshTokenPrefix) || len(t) > 100 {
		return "", launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	}
	return hashRefreshToken(t), nil
}

// Refresh exchanges a refresh token for a new pair. Each token works once: the store marks
// it rotated in the same transaction that creates its successor, and a rotated token
// presented again means two parties hold it, so its whole family is revoked and audited.
//
// Errors: EINVALID for an empty token; EUNAUTHORIZED for a token that is unknown, spent,
// revoked or expired.
func (s *Service) Refresh(ctx context.Context, c Client, refreshToken string) (*SignIn, error) {
	oldHash, err := refreshTokenHash(refreshToken)
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
		UserAgent: sanitizeUserAgent(c.UserAgent),
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.RefreshTokenTTL),
	}, now)
	switch {
	case launchpad.IsNotFound(err):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	case err != nil:
		return nil, err
	case res.Reused:
		s.metrics.SignIn("refresh_reuse")
		s.logger(c).Warn("refresh token reused; session family revoked", "user_id", res.Old.UserID, "family", res.Old.FamilyID)
		err := s.audit(ctx, c, res.Old.UserID, launchpad.ActorSystem, launchpad.AuditRefreshReuse, "session:"+res.Old.FamilyID, map[string]string{
			"ip":     c.IP,
			"device": shortFingerprint(res.Old.DeviceID),
		})
		if err != nil {
			return nil, err
		}
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this refresh token was already used, so it may have been copied: every session of that sign-in is now signed out; sign in again")
	}
	s.metrics.SignIn("refresh")
	return s.tokenPair(res.New.UserID, res.New.FamilyID, token)
}

// Session returns the active session of a refresh token without rotating it: the dashboard
// checks its cookie on every request, and parallel requests must not look like token reuse.
// EUNAUTHORIZED when the token is not one of ours or its session has ended.
func (s *Service) Session(ctx context.Context, refreshToken string) (*launchpad.Session, error) {
	hash, err := refreshTokenHash(refreshToken)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the session is not valid; sign in again")
	}
	sess, err := s.store.GetSessionByTokenHash(ctx, hash)
	switch {
	case launchpad.IsNotFound(err) || (err == nil && !sess.Active(s.now())):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the session has ended; sign in again")
	case err != nil:
		return nil, err
	}
	return sess, nil
}

// Sessions lists the user's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error) {
	return s.store.ListSessions(ctx, userID, s.now())
}

// SignOut revokes the refresh token's whole family and audits it. Access tokens already
// issued stay valid until they expire (Config.AccessTokenTTL). Signing out twice is not an
// error.
//
// Errors: EINVALID for an empty token; EUNAUTHORIZED for one that belongs to no session.
func (s *Service) SignOut(ctx context.Context, c Client, refreshToken string) error {
	hash, err := refreshTokenHash(refreshToken)
	if err != nil {
		return err
	}
	sess, err := s.store.GetSessionByTokenHash(ctx, hash)
	if launchpad.IsNotFound(err) {
		return launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; it may belong to a session that no longer exists")
	} else if err != nil {
		return err
	}
	if !sess.RevokedAt.IsZero() {
		return nil
	}
	if err := s.store.RevokeSessionFamily(ctx, sess.FamilyID, s.now()); err != nil {
		return err
	}
	if err := s.audit(ctx, c, sess.UserID, launchpad.UserActor(sess.UserID), launchpad.AuditLogout, "session:"+sess.FamilyID, map[string]string{
		"ip": c.IP,
	}); err != nil {
		return err
	}
	s.metrics.SignIn("logout")
	return nil
}

// SignOutEverywhere revokes every session of the user and audits it.
func (s *Service) SignOutEverywhere(ctx context.Context, c Client, userID string) error {
	if err := s.store.RevokeUserSessions(ctx, userID, s.now()); err != nil {
		return err
	}
	s.metrics.SignIn("logout")
	return s.audit(ctx, c, userID, launchpad.UserActor(userID), launchpad.AuditLogout, "sessions:all", map[string]string{
		"ip":    c.IP,
		"scope": "everywhere",
	})
}
