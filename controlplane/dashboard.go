package controlplane

import (
	"context"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// dashboardAuth is the dashboard's way into sign-in and sessions (web.Auth): the very
// handlers behind the JSON API, called with the dashboard's request, so codes, guess caps,
// rate limits, devices, TOTP, sessions and their audit events live in one place.
type dashboardAuth struct{ s *Server }

var _ web.Auth = dashboardAuth{}

func (a dashboardAuth) SendCode(r *http.Request, email string) error {
	_, err := a.s.handleSendVerification(nil, r, &SendVerificationRequest{Email: email})
	return err
}

func (a dashboardAuth) VerifyCode(w http.ResponseWriter, r *http.Request, email, code string) (*web.SignIn, error) {
	return signInOf(a.s.handleVerify(w, r, &VerifyRequest{Email: email, Code: code}))
}

func (a dashboardAuth) VerifySecondFactor(w http.ResponseWriter, r *http.Request, mfaToken, code, recoveryCode string) (*web.SignIn, error) {
	return signInOf(a.s.handleVerifyMFA(w, r, &VerifyMFARequest{MFAToken: mfaToken, Code: code, RecoveryCode: recoveryCode}))
}

func signInOf(res *TokenResponse, err error) (*web.SignIn, error) {
	if err != nil {
		return nil, err
	}
	return &web.SignIn{RefreshToken: res.RefreshToken, MFAToken: res.MFAToken}, nil
}

// Session finds the active session of a refresh token without rotating it: the dashboard
// checks its cookie on every request, and parallel requests must not look like token reuse.
func (a dashboardAuth) Session(ctx context.Context, refreshToken string) (*launchpad.Session, error) {
	hash, err := (&RefreshRequest{RefreshToken: refreshToken}).hash()
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the session is not valid; sign in again")
	}
	sess, err := a.s.store.GetSessionByTokenHash(ctx, hash)
	switch {
	case launchpad.IsNotFound(err) || (err == nil && !sess.Active(a.s.now())):
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the session has ended; sign in again")
	case err != nil:
		return nil, err
	}
	return sess, nil
}

func (a dashboardAuth) SignOut(r *http.Request, refreshToken string) error {
	_, err := a.s.handleLogout(nil, r, &RefreshRequest{RefreshToken: refreshToken})
	return err
}

func (a dashboardAuth) SignOutEverywhere(r *http.Request, userID string) error {
	return a.s.signOutEverywhere(r.Context(), userID)
}

func (a dashboardAuth) EnrolTOTP(r *http.Request, userID string) (*web.TOTPEnrolment, error) {
	res, err := a.s.handleEnrolTOTP(nil, asUser(r, userID), nil)
	if err != nil {
		return nil, err
	}
	return &web.TOTPEnrolment{OTPAuthURL: res.OTPAuthURL, RecoveryCodes: res.RecoveryCodes}, nil
}

func (a dashboardAuth) ConfirmTOTP(r *http.Request, userID, code string) error {
	_, err := a.s.handleConfirmTOTP(nil, asUser(r, userID), &ConfirmTOTPRequest{Code: code})
	return err
}

// asUser is r as the signed-in user's request, as requireUser makes it for the API.
func asUser(r *http.Request, userID string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, &principal{UserID: userID}))
}

// signOutEverywhere revokes every session of the user and audits it.
func (s *Server) signOutEverywhere(ctx context.Context, userID string) error {
	if err := s.store.RevokeUserSessions(ctx, userID, s.now()); err != nil {
		return err
	}
	s.metrics.signIn("logout")
	return s.audit(ctx, userID, launchpad.UserActor(userID), launchpad.AuditLogout, "sessions:all", map[string]string{
		"ip":    requestInfoFrom(ctx).ClientIP,
		"scope": "everywhere",
	})
}
