package controlplane

import (
	"context"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/auth"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/web"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// dashboardAuth is the dashboard's way into sign-in and sessions (web.Auth): the auth service
// the JSON API calls too, with the client and the device cookie read from the dashboard's
// requests as the API reads them from its own. Codes, guess caps, rate limits, devices,
// TOTP, sessions and their audit events so live in one place.
type dashboardAuth struct{ s *Server }

var _ web.Auth = dashboardAuth{}

func (a dashboardAuth) SendCode(r *http.Request, email string) error {
	return a.s.auth.SendCode(r.Context(), clientOf(r), email)
}

func (a dashboardAuth) VerifyCode(w http.ResponseWriter, r *http.Request, email, code string) (*web.SignIn, error) {
	return signInOf(a.s.signInStep(w, r, func(ctx context.Context, c auth.Client) (*auth.SignIn, error) {
		return a.s.auth.VerifyCode(ctx, c, email, code)
	}))
}

func (a dashboardAuth) VerifySecondFactor(w http.ResponseWriter, r *http.Request, mfaToken, code, recoveryCode string) (*web.SignIn, error) {
	return signInOf(a.s.signInStep(w, r, func(ctx context.Context, c auth.Client) (*auth.SignIn, error) {
		return a.s.auth.VerifySecondFactor(ctx, c, mfaToken, code, recoveryCode)
	}))
}

// signInOf is what the dashboard keeps of a sign-in step: the refresh token of its session
// cookie, or the MFA token of the second step.
func signInOf(res *auth.SignIn, err error) (*web.SignIn, error) {
	if err != nil {
		return nil, err
	}
	return &web.SignIn{RefreshToken: res.RefreshToken, MFAToken: res.MFAToken}, nil
}

func (a dashboardAuth) Session(ctx context.Context, refreshToken string) (*launchpad.Session, error) {
	return a.s.auth.Session(ctx, refreshToken)
}

func (a dashboardAuth) Seen(r *http.Request, sess *launchpad.Session) {
	a.s.auth.Seen(r.Context(), clientOf(r), sess)
}

func (a dashboardAuth) Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error) {
	return a.s.auth.Sessions(ctx, userID)
}

func (a dashboardAuth) Devices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	return a.s.auth.Devices(ctx, userID)
}

func (a dashboardAuth) SignOut(r *http.Request, refreshToken string) error {
	return a.s.auth.SignOut(r.Context(), clientOf(r), refreshToken)
}

func (a dashboardAuth) SignOutEverywhere(r *http.Request, sess *launchpad.Session) error {
	return a.s.auth.SignOutEverywhere(r.Context(), clientOf(r), auth.CallerOf(sess))
}

func (a dashboardAuth) SignOutSession(r *http.Request, sess *launchpad.Session, familyID string) error {
	return a.s.auth.SignOutSession(r.Context(), clientOf(r), auth.CallerOf(sess), familyID)
}

func (a dashboardAuth) EnrolTOTP(r *http.Request, sess *launchpad.Session) (*web.TOTPEnrolment, error) {
	e, err := a.s.auth.EnrolTOTP(r.Context(), clientOf(r), auth.CallerOf(sess))
	if err != nil {
		return nil, err
	}
	return &web.TOTPEnrolment{OTPAuthURL: e.OTPAuthURL, RecoveryCodes: e.RecoveryCodes}, nil
}

func (a dashboardAuth) ConfirmTOTP(r *http.Request, sess *launchpad.Session, code string) error {
	return a.s.auth.ConfirmTOTP(r.Context(), clientOf(r), auth.CallerOf(sess), code)
}

func (a dashboardAuth) DisableTOTP(r *http.Request, sess *launchpad.Session) error {
	return a.s.auth.DisableTOTP(r.Context(), clientOf(r), auth.CallerOf(sess))
}

func (a dashboardAuth) RegenerateRecoveryCodes(r *http.Request, sess *launchpad.Session) ([]string, error) {
	return a.s.auth.RegenerateRecoveryCodes(r.Context(), clientOf(r), auth.CallerOf(sess))
}

func (a dashboardAuth) RequireStepUp(sess *launchpad.Session) error {
	return a.s.auth.RequireStepUp(auth.CallerOf(sess))
}

func (a dashboardAuth) StepUpUntil(sess *launchpad.Session) time.Time {
	return a.s.auth.StepUpUntil(auth.CallerOf(sess))
}

func (a dashboardAuth) StepUpWindow() time.Duration { return a.s.auth.StepUpWindow() }

func (a dashboardAuth) StartStepUp(r *http.Request, sess *launchpad.Session) error {
	_, err := a.s.auth.StartStepUp(r.Context(), clientOf(r), auth.CallerOf(sess))
	return err
}

func (a dashboardAuth) VerifyStepUp(r *http.Request, sess *launchpad.Session, code, totpCode, recoveryCode string) error {
	_, err := a.s.auth.VerifyStepUp(r.Context(), clientOf(r), auth.CallerOf(sess), code, totpCode, recoveryCode)
	return err
}

// dashboardData is the dashboard's "Your data" page on the server's export and erasure.
type dashboardData struct{ s *Server }

var _ web.AccountData = dashboardData{}

func (d dashboardData) Export(r *http.Request, userID string) (any, error) {
	return d.s.exporter().Export(r.Context(), userID)
}

func (d dashboardData) DeleteAccount(r *http.Request, sess *launchpad.Session) error {
	if err := d.s.auth.RequireStepUp(auth.CallerOf(sess)); err != nil {
		return err
	}
	_, err := d.s.bg.erasure.Request(r.Context(), sess.UserID, launchpad.UserActor(sess.UserID))
	return err
}
