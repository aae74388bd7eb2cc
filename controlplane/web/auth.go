package web

import (
	"context"
	"net/http"

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
	// Sessions lists the user's active sessions, newest first.
	Sessions(ctx context.Context, userID string) ([]*launchpad.Session, error)
	// Devices lists the devices the user has signed in from.
	Devices(ctx context.Context, userID string) ([]*launchpad.Device, error)
	// SignOut revokes the token's session family and audits it, as POST /api/auth/logout.
	SignOut(r *http.Request, refreshToken string) error
	// SignOutEverywhere revokes every session of the user and audits it.
	SignOutEverywhere(r *http.Request, userID string) error

	// EnrolTOTP starts (or restarts, while unconfirmed) TOTP enrolment for the user, as
	// POST /api/auth/mfa/totp does. The result is shown once and cannot be read back.
	EnrolTOTP(r *http.Request, userID string) (*TOTPEnrolment, error)
	// ConfirmTOTP turns the enrolled factor on with a current code, as
	// POST /api/auth/mfa/totp/confirm does.
	ConfirmTOTP(r *http.Request, userID, code string) error
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
