package web

import (
	"context"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Auth is the control plane's sign-in and session logic, which the dashboard calls instead of
// repeating: codes, their guess caps and rate limits, devices and new-device alerts, TOTP,
// sessions and their audit events all stay in one place (package auth; package controlplane
// implements Auth over the same service as its JSON API).
//
// Methods that act for a client take its request, from which the implementation reads the
// client's address and device cookie as the API does; errors are launchpad coded errors whose
// messages are shown to the user.
type Auth interface {
	// SendCode issues a sign-in code for email and queues the mail, as
	// POST /api/auth/send-verification does. Every well-formed address is answered alike.
	SendCode(r *http.Request, email string) error
	// VerifyCode checks an emailed code, as POST /api/auth/verify does, and may set the
	// device cookie on w. The result carries a refresh token, or an MFA token when the
	// account has a second factor.
	VerifyCode(w http.ResponseWriter, r *http.Request, email, code string) (*SignIn, error)
	// VerifySecondFactor completes a sign-in with a TOTP code or a recovery code (exactly one
	// is set), as POST /api/auth/mfa/verify does.
	VerifySecondFactor(w http.ResponseWriter, r *http.Request, mfaToken, code, recoveryCode string) (*SignIn, error)

	// Session returns the session whose refresh token is refreshToken if it is active (not
	// revoked, rotated or expired); EUNAUTHORIZED otherwise.
	Session(ctx context.Context, refreshToken string) (*launchpad.Session, error)
	// Seen records that sess, the request's active session, was used now from the request's
	// client address (at most about once a minute per session; best effort, never an error).
	Seen(r *http.Request, sess *launchpad.Session)
	// Sessions lists the user's active sessions, newest first.
	Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error)
	// Devices lists the devices the user has signed in from.
	Devices(ctx context.Context, userID string) ([]*launchpad.Device, error)
	// SignOut revokes the token's session family and audits it, as POST /api/auth/logout.
	SignOut(r *http.Request, refreshToken string) error

	// The security-sensitive actions below act for the user of sess, this browser's session.
	// Those that need a recent sign-in answer ESTEPUP when sess's AuthTime is older than the
	// step-up window; the security page then asks for a confirmation code (StartStepUp,
	// VerifyStepUp) and the user tries again.

	// SignOutEverywhere revokes every session of the user, sess's included, and audits it.
	SignOutEverywhere(r *http.Request, sess *launchpad.Session) error
	// SignOutSession revokes one session family of the user (another than sess's needs a
	// recent sign-in), as DELETE /api/auth/sessions/{id} does.
	SignOutSession(r *http.Request, sess *launchpad.Session, familyID string) error
	// EnrolTOTP starts (or restarts, while unconfirmed) TOTP enrolment for the user, as
	// POST /api/auth/mfa/totp does. The result is shown once and cannot be read back.
	EnrolTOTP(r *http.Request, sess *launchpad.Session) (*TOTPEnrolment, error)
	// ConfirmTOTP turns the enrolled factor on with a current code and signs out every other
	// session of the user, as POST /api/auth/mfa/totp/confirm does.
	ConfirmTOTP(r *http.Request, sess *launchpad.Session, code string) error
	// DisableTOTP turns the factor off (or abandons an enrolment), as
	// DELETE /api/auth/mfa/totp does.
	DisableTOTP(r *http.Request, sess *launchpad.Session) error
	// RegenerateRecoveryCodes replaces the recovery codes, as
	// POST /api/auth/mfa/recovery-codes does; the new ones are shown once.
	RegenerateRecoveryCodes(r *http.Request, sess *launchpad.Session) ([]string, error)

	// RequireStepUp is nil when sess's user signed in or stepped up within the step-up
	// window, else ESTEPUP. Dashboard handlers of other security-sensitive actions call it.
	RequireStepUp(sess *launchpad.Session) error
	// StepUpUntil is when sess's recent sign-in stops counting (zero when it does not).
	StepUpUntil(sess *launchpad.Session) time.Time
	// StepUpWindow is how recent a sign-in must be (LAUNCHPAD_STEP_UP_WINDOW).
	StepUpWindow() time.Duration
	// StartStepUp mails the user a confirmation code, as POST /api/auth/step-up does.
	StartStepUp(r *http.Request, sess *launchpad.Session) error
	// VerifyStepUp checks the mailed code (and, with two-factor on, exactly one of an
	// authenticator code and a recovery code) and makes sess's family recently signed in,
	// as POST /api/auth/step-up/verify does.
	VerifyStepUp(r *http.Request, sess *launchpad.Session, code, totpCode, recoveryCode string) error
}

// SignIn is the outcome of a sign-in step: exactly one of the two tokens is set.
type SignIn struct {
	// RefreshToken opens a session: the dashboard keeps it in its session cookie.
	RefreshToken string
	// MFAToken is set when the account needs its second factor first; it is short-lived
	// and good only for VerifySecondFactor.
	MFAToken string
}

// TOTPEnrolment is a new TOTP factor: the otpauth:// URL (which carries the secret, for the
// authenticator app) and the ten single-use recovery codes. Both are shown once.
type TOTPEnrolment struct {
	OTPAuthURL    string
	RecoveryCodes []string
}
