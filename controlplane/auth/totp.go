package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app supports.
const (
	totpIssuer    = "Launchpad"
	totpPeriod    = 30
	totpSkewSteps = 1 // accept the previous and next 30 s step, for clock drift
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is shown once: neither the secret nor the recovery codes can be read back.
type TOTPEnrolment struct {
	Secret        string
	OTPAuthURL    string // otpauth://totp/…, which carries the secret to the authenticator app
	RecoveryCodes []string
}

// EnrolTOTP starts (or restarts) TOTP enrolment: a new secret, sealed to the user, and ten
// recovery codes, stored as hashes. The factor is not required at sign-in until confirmed.
// An enabled factor cannot be replaced here unless it is marked for re-enrolment (mayEnrol),
// and enrolling needs a recent sign-in (RequireStepUp), so a stolen access token can neither
// swap the factor nor start one.
//
// Errors: ESTEPUP; ECONFLICT when the factor is already on; ENOTFOUND for an unknown user.
func (s *Service) EnrolTOTP(ctx context.Context, c Client, who Caller) (*TOTPEnrolment, error) {
	if err := s.RequireStepUp(who); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, who.UserID)
	if err != nil {
		return nil, err
	}
	if !mayEnrol(u.MFA) {
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "two-factor authentication is already on; it cannot be enrolled again")
	}
	account := u.Email
	if account == "" {
		account = u.ID
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(ctx, []byte(key.Secret()), u.ID)
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes(u.ID)
	now := s.now()
	_, err = s.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		if !mayEnrol(u.MFA) {
			return launchpad.Errorf(launchpad.ECONFLICT, "two-factor authentication is already on; it cannot be enrolled again")
		}
		u.MFA = launchpad.MFA{SealedSecret: sealed, RecoveryCodes: hashes, EnrolledAt: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFAEnrolled, "totp", map[string]string{"ip": c.IP}); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), OTPAuthURL: key.URL(), RecoveryCodes: codes}, nil
}

// ConfirmTOTP turns the enrolled factor on once the user proves their app has it, with a
// recent sign-in (RequireStepUp). Every other session of the user is then signed out — their
// refresh tokens revoked, their access tokens refused (Authenticate) — and the user is
// mailed that the factor is on and the other sessions were ended.
//
// Errors: ESTEPUP; ERATELIMITED per user; EINVALID with no enrolment or a malformed code;
// ECONFLICT when the factor is already on; EUNAUTHORIZED for a wrong or replayed code.
func (s *Service) ConfirmTOTP(ctx context.Context, c Client, who Caller, code string) error {
	if err := s.RequireStepUp(who); err != nil {
		return err
	}
	now := s.now()
	if err := s.limits.mfaPerUser.Take(who.UserID, now); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, who.UserID)
	if err != nil {
		return err
	}
	switch {
	case u.MFA.SealedSecret == "":
		return launchpad.Errorf(launchpad.EINVALID, "there is no TOTP enrolment to confirm; start one with POST /api/auth/mfa/totp")
	case u.MFA.Confirmed:
		return launchpad.Errorf(launchpad.ECONFLICT, "two-factor authentication is already on")
	}
	if _, err := s.acceptTOTP(ctx, u, code, now, func(m *launchpad.MFA) { m.Confirmed = true }); err != nil {
		return err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFAConfirmed, "totp", map[string]string{"ip": c.IP}); err != nil {
		return err
	}
	if err := s.signOutOthers(ctx, c, who, "mfa_enabled"); err != nil {
		return launchpad.Wrapf(err, "two-factor authentication is on, but the other sessions could not be signed out; sign them out from the security page")
	}
	s.notify(c, u, "mfa_enabled", mfaEnabledMail(u.Email, sanitizeUserAgent(c.UserAgent), c.IP, now, s.cfg.PublicURL))
	return nil
}

// DisableTOTP turns the factor off (or abandons an enrolment not yet confirmed): the secret
// and the recovery codes are deleted. It needs a recent sign-in (RequireStepUp); the user is
// mailed.
//
// Errors: ESTEPUP; EINVALID when there is no factor.
func (s *Service) DisableTOTP(ctx context.Context, c Client, who Caller) error {
	if err := s.RequireStepUp(who); err != nil {
		return err
	}
	off := launchpad.Errorf(launchpad.EINVALID, "two-factor authentication is not on")
	var wasOn bool
	u, err := s.store.UpdateUser(ctx, who.UserID, func(u *launchpad.User) error {
		if u.MFA.SealedSecret == "" {
			return off
		}
		wasOn = u.MFA.Enabled()
		u.MFA = launchpad.MFA{}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFADisabled, "totp", map[string]string{
		"ip": c.IP, "was_on": strconv.FormatBool(wasOn),
	}); err != nil {
		return err
	}
	if wasOn {
		s.notify(c, u, "mfa_disabled", mfaDisabledMail(u.Email, sanitizeUserAgent(c.UserAgent), c.IP, s.now(), s.cfg.PublicURL))
	}
	return nil
}

// RegenerateRecoveryCodes replaces the user's recovery codes with ten new ones, shown once.
// It needs a recent sign-in (RequireStepUp).
//
// Errors: ESTEPUP; EINVALID when two-factor authentication is not on.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, c Client, who Caller) ([]string, error) {
	if err := s.RequireStepUp(who); err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes(who.UserID)
	u, err := s.store.UpdateUser(ctx, who.UserID, func(u *launchpad.User) error {
		if !u.MFA.Enabled() {
			return launchpad.Errorf(launchpad.EINVALID, "two-factor authentication is not on, so there are no recovery codes; turn it on first")
		}
		u.MFA.RecoveryCodes = hashes
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFARecoveryRegenerated, "totp", map[string]string{"ip": c.IP}); err != nil {
		return nil, err
	}
	return codes, nil
}

// notify queues a security notice to u; a full queue is logged, never an error (what it
// reports is done and audited already).
func (s *Service) notify(c Client, u *launchpad.User, kind string, msg launchpad.Message) {
	if u.Email == "" {
		return
	}
	if err := s.mail.enqueue(kind, c.RequestID, msg); err != nil {
		s.logger(c).Warn("security notice not queued", "kind", kind, "user_id", u.ID, "error", err.Error())
	}
}

func mfaEnabledMail(to, userAgent, ip string, at time.Time, publicURL string) launchpad.Message {
	return securityNotice(to, "Two-factor authentication is on for your Launchpad account",
		"Two-factor authentication was just turned on for your Launchpad account: from now on, signing in\n"+
			"asks for a code from your authenticator app after the emailed code.", at, userAgent, ip,
		"Every other session of your account was signed out; sign in again on your other devices.\n\n"+
			"If this was not you, someone who can read your email has signed in: sign in at %s,\n"+
			"sign out everywhere, turn two-factor authentication off and on again with your own app,\n"+
			"and check your audit log there. Secure your email account too.\n",
		publicURL)
}

func mfaDisabledMail(to, userAgent, ip string, at time.Time, publicURL string) launchpad.Message {
	return securityNotice(to, "Two-factor authentication is off for your Launchpad account",
		"Two-factor authentication was just turned off for your Launchpad account: signing in now needs\n"+
			"only the emailed code.", at, userAgent, ip,
		"If this was not you, sign in at %s, sign out everywhere, turn two-factor\n"+
			"authentication on again, and check your audit log there.\n",
		publicURL)
}

// acceptTOTP checks code against the user's secret for the current step and its neighbours,
// skipping every step at or before MFA.LastStep, and records the matched step in the same
// UpdateUser transaction that re-checks it: a code is accepted once, even by parallel requests.
// also, when set, changes the MFA record in that transaction too (confirmation).
func (s *Service) acceptTOTP(ctx context.Context, u *launchpad.User, code string, now time.Time, also func(*launchpad.MFA)) (*launchpad.User, error) {
	step, err := s.totpStep(ctx, u, code, now)
	if err != nil {
		return nil, err
	}
	sealed := u.MFA.SealedSecret
	return s.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		if u.MFA.SealedSecret != sealed || step <= u.MFA.LastStep {
			return errWrongTOTP // re-enrolled meanwhile, or a parallel request took this step
		}
		u.MFA.LastStep = step
		if also != nil {
			also(&u.MFA)
		}
		return nil
	})
}

var errWrongTOTP = launchpad.Errorf(launchpad.EUNAUTHORIZED, "the authenticator code is wrong or was already used; wait for the next one")

// totpStep checks code against u's secret as acceptTOTP does, without recording anything: the
// matched time step, EINVALID for a malformed code, EUNAUTHORIZED for a wrong or used one.
func (s *Service) totpStep(ctx context.Context, u *launchpad.User, code string, now time.Time) (int64, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, launchpad.Errorf(launchpad.EINVALID, "code must be the 6 digits shown by the authenticator app")
	}
	secret, err := s.sealer.Open(ctx, u.MFA.SealedSecret, u.ID)
	if err != nil {
		return 0, err
	}
	step := matchTOTP(string(secret), code, now, u.MFA.LastStep)
	if step == 0 {
		return 0, errWrongTOTP
	}
	return step, nil
}

// matchTOTP returns the time step whose code equals code, among the steps around now that are
// after lastStep, or 0. Codes are compared in constant time.
func matchTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	current := now.Unix() / totpPeriod
	for step := current - totpSkewSteps; step <= current+totpSkewSteps; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}
