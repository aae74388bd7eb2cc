package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Caller is a signed-in user as one request proved it: by an access token (Authenticate) or
// by the dashboard's session cookie (a launchpad.Session; CallerOf).
type Caller struct {
	UserID string
	// FamilyID is the session family the proof belongs to: the one a step-up refreshes, and
	// the one "sign out the other sessions" keeps.
	FamilyID string
	// AuthTime is when the user last proved who they are in that family: the sign-in (the
	// emailed code, and the second factor when on) or a later step-up. Zero is unknown.
	AuthTime time.Time
}

// CallerOf is the caller a session (a dashboard cookie's) proves.
func CallerOf(sess *launchpad.Session) Caller {
	return Caller{UserID: sess.UserID, FamilyID: sess.FamilyID, AuthTime: sess.AuthTime}
}

// Step-up: the security-sensitive actions — turning two-factor authentication on or off,
// new recovery codes, signing other sessions out, and whatever else calls RequireStepUp
// (resetting a tenant) — need the user to have proved who they are within
// Config.StepUpWindow: a sign-in that recent, or a step-up, which is the sign-in's proof again
// (the emailed code, and the second factor when on) for the session the user already has.
// The session's family keeps the time (launchpad.Session.AuthTime, copied by every refresh),
// so a step-up serves every access token of the family and the dashboard alike.

// StepUpRoute and StepUpVerifyRoute are the API's step-up endpoints, named in the ESTEPUP
// message.
const (
	StepUpRoute       = "POST /api/auth/step-up"
	StepUpVerifyRoute = "POST /api/auth/step-up/verify"
)

// RequireStepUp is nil when who proved who they are within Config.StepUpWindow, and
// otherwise ESTEPUP (HTTP 403, code step_up_required) with a message that says how to
// re-verify. Every security-sensitive action calls it first; handlers of other packages that
// guard such an action (a tenant reset) call it with the Caller they authenticated.
func (s *Service) RequireStepUp(who Caller) error {
	if s.recent(who.AuthTime) {
		return nil
	}
	s.metrics.SignIn("step_up_required")
	return launchpad.Errorf(launchpad.ESTEPUP,
		"this action needs a sign-in from the last %s; confirm it is you: %s emails you a code, then %s with that code "+
			"(and the authenticator code, when two-factor authentication is on) confirms it, and you can retry",
		launchpad.DurationWords(s.cfg.StepUpWindow), StepUpRoute, StepUpVerifyRoute)
}

// recent reports whether authTime is within the step-up window.
func (s *Service) recent(authTime time.Time) bool {
	return !authTime.IsZero() && s.now().Sub(authTime) < s.cfg.StepUpWindow
}

// StepUpUntil is when who's step-up expires (zero when it has).
func (s *Service) StepUpUntil(who Caller) time.Time {
	if !s.recent(who.AuthTime) {
		return time.Time{}
	}
	return who.AuthTime.Add(s.cfg.StepUpWindow)
}

// StepUpWindow is Config.StepUpWindow.
func (s *Service) StepUpWindow() time.Duration { return s.cfg.StepUpWindow }

// StepUpChallenge is the answer to StartStepUp.
type StepUpChallenge struct {
	// SecondFactor is true when the user has two-factor authentication on: VerifyStepUp then
	// needs the authenticator code (or a recovery code) too.
	SecondFactor bool
}

// StartStepUp mails a code to the caller's address, under the same rate limits as sign-in
// codes (it replaces any sign-in code not yet used).
//
// Errors: EINVALID when the account has no address; ERATELIMITED; EUNAVAILABLE when the mail
// queue is full.
func (s *Service) StartStepUp(ctx context.Context, c Client, who Caller) (*StepUpChallenge, error) {
	u, err := s.store.GetUser(ctx, who.UserID)
	if err != nil {
		return nil, err
	}
	if u.Email == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "this account has no email address to send a code to")
	}
	email, err := launchpad.CanonicalEmail(u.Email)
	if err != nil {
		return nil, err
	}
	if err := s.sendCode(ctx, c, email, "step_up_code", stepUpCodeMail); err != nil {
		return nil, err
	}
	return &StepUpChallenge{SecondFactor: u.MFA.Enabled()}, nil
}

// stepUpCodeMail is the step-up's code: like a sign-in code, with the reason it was sent.
func stepUpCodeMail(to, code, publicURL string) launchpad.Message {
	return launchpad.Message{
		To:      to,
		Subject: "Your Launchpad confirmation code",
		Text: fmt.Sprintf("Your Launchpad confirmation code is:\n\n    %s\n\n"+
			"You were asked to confirm it is you before changing a security setting of your account.\n"+
			"It works once, for %d minutes, at %s.\n\n"+
			"If you did not ask for it, someone else is signed in to your account: sign in at %s,\n"+
			"sign out everywhere and turn on two-factor authentication.\n",
			code, int(launchpad.SignInCodeTTL.Minutes()), publicURL, publicURL),
	}
}

// StepUp is a completed step-up.
type StepUp struct {
	// AccessToken is a new access token of the same family that carries the new AuthTime;
	// the caller's refresh token stays as it was, and its refreshes keep the new time.
	AccessToken    string
	AccessTokenTTL time.Duration
	AuthTime       time.Time
	// Until is when the step-up stops counting (AuthTime + Config.StepUpWindow).
	Until time.Time
}

// VerifyStepUp completes a step-up for the caller's session family: the code StartStepUp
// mailed, and — when the user has two-factor authentication on — exactly one of an
// authenticator code and a recovery code. The second factor is checked before the emailed
// code is spent (a mistyped authenticator code keeps the emailed one), then both are spent.
// The family's AuthTime becomes now (launchpad.Store.SetSessionAuthTime), on this replica at
// once and on the others within FamilyCacheTTL; the new access token says so everywhere at
// once.
//
// Errors: EINVALID for a malformed code or the wrong set of factors; EUNAUTHORIZED for a
// wrong, used or expired code, a wrong factor, or a session that has ended; ERATELIMITED.
func (s *Service) VerifyStepUp(ctx context.Context, c Client, who Caller, emailCode, totpCode, recoveryCode string) (*StepUp, error) {
	emailCode, err := normalizeCode(emailCode)
	if err != nil {
		return nil, err
	}
	totpCode, recoveryCode = strings.TrimSpace(totpCode), strings.TrimSpace(recoveryCode)
	u, err := s.store.GetUser(ctx, who.UserID)
	if err != nil {
		return nil, err
	}
	email, err := launchpad.CanonicalEmail(u.Email)
	if err != nil {
		return nil, err
	}
	now := s.now()
	method := signInMethod{email: true}
	if u.MFA.Enabled() {
		if (totpCode == "") == (recoveryCode == "") {
			return nil, launchpad.Errorf(launchpad.EINVALID, "two-factor authentication is on: send the emailed code and exactly one of totp_code (from the authenticator app) and recovery_code")
		}
		if err := s.limits.mfaPerUser.Take(u.ID, now); err != nil {
			return nil, err
		}
		method.totp, method.recovery = totpCode != "", totpCode == ""
		if err := s.checkSecondFactor(ctx, c, u, method, totpCode, recoveryCode, now); err != nil {
			return nil, err
		}
	} else if totpCode != "" || recoveryCode != "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "two-factor authentication is off: send only the emailed code")
	}
	if err := s.checkEmailCode(ctx, c, email, emailCode); err != nil {
		return nil, err
	}
	switch {
	case method.totp:
		u, err = s.acceptTOTP(ctx, u, totpCode, now, nil)
	case method.recovery:
		u, err = s.useRecoveryCode(ctx, c, u, recoveryCode)
	}
	if err != nil {
		return nil, s.secondFactorFailed(ctx, c, who.UserID, now, err)
	}
	s.failures.reset("mfa:" + u.ID)

	err = s.store.SetSessionAuthTime(ctx, who.FamilyID, now, now)
	s.families.forget(who.FamilyID)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this session was signed out; sign in again")
	} else if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditStepUp, "session:"+who.FamilyID, map[string]string{
		"method": method.String(),
		"ip":     c.IP,
	}); err != nil {
		return nil, err
	}
	access, err := s.tokens.sign(audienceAccess, u.ID, who.FamilyID, now, s.cfg.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	s.metrics.SignIn("step_up")
	return &StepUp{AccessToken: access, AccessTokenTTL: s.cfg.AccessTokenTTL, AuthTime: now, Until: now.Add(s.cfg.StepUpWindow)}, nil
}
