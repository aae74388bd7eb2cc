package auth

import (
	"context"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// startSession opens a refresh-token family for the user, signed in from c, and returns the
// first pair. The sign-in that opens it is the family's AuthTime and its first activity.
func (s *Service) startSession(ctx context.Context, c Client, userID string, d device, now time.Time) (*SignIn, error) {
	token, hash := newRefreshToken()
	sess := &launchpad.Session{
		ID:         launchpad.NewID(20),
		UserID:     userID,
		FamilyID:   launchpad.NewID(20),
		TokenHash:  hash,
		DeviceID:   d.fingerprint,
		UserAgent:  d.userAgent,
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.cfg.RefreshTokenTTL),
		AuthTime:   now,
		IP:         c.IP,
		LastSeenAt: now,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.tokenPair(userID, sess.FamilyID, now, token)
}

func (s *Service) tokenPair(userID, family string, authTime time.Time, refreshToken string) (*SignIn, error) {
	access, err := s.tokens.sign(audienceAccess, userID, family, authTime, s.cfg.AccessTokenTTL)
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
		ID:         launchpad.NewID(20),
		TokenHash:  hash,
		DeviceID:   old.DeviceID,
		UserAgent:  sanitizeUserAgent(c.UserAgent),
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.cfg.RefreshTokenTTL),
		IP:         c.IP,
		LastSeenAt: now,
	}, now)
	switch {
	case launchpad.IsNotFound(err):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token is not valid; sign in again")
	case err != nil:
		return nil, err
	case res.Reused:
		s.families.forget(res.Old.FamilyID)
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
	return s.tokenPair(res.New.UserID, res.New.FamilyID, res.New.AuthTime, token)
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

// SessionTouchInterval is how stale a session's recorded activity (launchpad.Session.IP and
// LastSeenAt) may grow while it is in use: a request records it again only when the last
// record is older, or came from another address, so a busy session writes at most about
// once a minute.
const SessionTouchInterval = time.Minute

// Seen records that sess, an active session, was used now from c (see SessionTouchInterval).
// Recording is best effort: a store error is logged, never the request's failure, and a
// session that ended meanwhile is left alone.
func (s *Service) Seen(ctx context.Context, c Client, sess *launchpad.Session) {
	now := s.now()
	if sess == nil || (c.IP == sess.IP && now.Sub(sess.LastActive()) < SessionTouchInterval) {
		return
	}
	err := s.store.TouchSession(ctx, sess.FamilyID, c.IP, now)
	if err != nil && !launchpad.IsNotFound(err) {
		s.logger(c).Warn("session activity not recorded", "user_id", sess.UserID, "family", sess.FamilyID, "error", err.Error())
		return
	}
	s.families.forget(sess.FamilyID) // the next request reads the recorded activity
}

// Sessions lists the user's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error) {
	return s.store.ListSessions(ctx, userID, s.now())
}

// SignOut revokes the refresh token's whole family and audits it. The family's access tokens
// are refused at once on this replica and within FamilyCacheTTL on the others. Signing out
// twice is not an error.
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
	s.families.forget(sess.FamilyID)
	if err := s.audit(ctx, c, sess.UserID, launchpad.UserActor(sess.UserID), launchpad.AuditLogout, "session:"+sess.FamilyID, map[string]string{
		"ip": c.IP,
	}); err != nil {
		return err
	}
	s.metrics.SignIn("logout")
	return nil
}

// SignOutEverywhere revokes every session of the user, the caller's included, and audits
// it. It needs a recent sign-in (RequireStepUp).
func (s *Service) SignOutEverywhere(ctx context.Context, c Client, who Caller) error {
	if err := s.RequireStepUp(who); err != nil {
		return err
	}
	if err := s.store.RevokeUserSessions(ctx, who.UserID, s.now()); err != nil {
		return err
	}
	s.families.forgetUser(who.UserID)
	s.metrics.SignIn("logout")
	return s.audit(ctx, c, who.UserID, launchpad.UserActor(who.UserID), launchpad.AuditLogout, "sessions:all", map[string]string{
		"ip":    c.IP,
		"scope": "everywhere",
	})
}

// SignOutOthers revokes every session of the user but the caller's, and audits it. It needs
// a recent sign-in (RequireStepUp).
func (s *Service) SignOutOthers(ctx context.Context, c Client, who Caller) error {
	if err := s.RequireStepUp(who); err != nil {
		return err
	}
	return s.signOutOthers(ctx, c, who, "others")
}

// signOutOthers revokes the user's sessions but the caller's family, forgets them here, and
// audits it with scope.
func (s *Service) signOutOthers(ctx context.Context, c Client, who Caller, scope string) error {
	if who.FamilyID == "" {
		return launchpad.Errorf(launchpad.EINTERNAL, "signing out the other sessions needs the caller's session")
	}
	if err := s.store.RevokeOtherSessions(ctx, who.UserID, who.FamilyID, s.now()); err != nil {
		return err
	}
	s.families.forgetUser(who.UserID)
	s.metrics.SignIn("logout")
	return s.audit(ctx, c, who.UserID, launchpad.UserActor(who.UserID), launchpad.AuditLogout, "sessions:others", map[string]string{
		"ip":    c.IP,
		"scope": scope,
	})
}

// SignOutSession revokes one session family of the user (a row of Sessions, by FamilyID) and
// audits it. Another session needs a recent sign-in (RequireStepUp); the caller's own is a
// plain sign-out.
//
// Errors: ESTEPUP; ENOTFOUND when the user has no such session.
func (s *Service) SignOutSession(ctx context.Context, c Client, who Caller, familyID string) error {
	if familyID != who.FamilyID {
		if err := s.RequireStepUp(who); err != nil {
			return err
		}
	}
	sess, err := s.store.GetCurrentSession(ctx, familyID)
	switch {
	case launchpad.IsNotFound(err) || (err == nil && sess.UserID != who.UserID):
		return launchpad.Errorf(launchpad.ENOTFOUND, "you have no session %q; list them with GET /api/auth/sessions", launchpad.Clip(familyID, 40))
	case err != nil:
		return err
	case !sess.RevokedAt.IsZero():
		return nil
	}
	if err := s.store.RevokeSessionFamily(ctx, familyID, s.now()); err != nil {
		return err
	}
	s.families.forget(familyID)
	s.metrics.SignIn("logout")
	return s.audit(ctx, c, who.UserID, launchpad.UserActor(who.UserID), launchpad.AuditLogout, "session:"+familyID, map[string]string{
		"ip":    c.IP,
		"scope": "one",
	})
}
