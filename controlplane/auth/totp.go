package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
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
// An enabled factor cannot be replaced here, so a stolen access token cannot swap it, unless
// it is marked for re-enrolment (mayEnrol).
//
// Errors: ECONFLICT when the factor is already on; ENOTFOUND for an unknown user.
func (s *Service) EnrolTOTP(ctx context.Context, c Client, userID string) (*TOTPEnrolment, error) {
	u, err := s.store.GetUser(ctx, userID)
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
	sealed, err := s.keyring.Seal([]byte(key.Secret()), u.ID)
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

// ConfirmTOTP turns the enrolled factor on once the user proves their app has it.
//
// Errors: ERATELIMITED per user; EINVALID with no enrolment or a malformed code; ECONFLICT
// when the factor is already on; EUNAUTHORIZED for a wrong or replayed code.
func (s *Service) ConfirmTOTP(ctx context.Context, c Client, userID, code string) error {
	now := s.now()
	if err := s.limits.mfaPerUser.Take(userID, now); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, userID)
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
	return s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFAConfirmed, "totp", map[string]string{"ip": c.IP})
}

// acceptTOTP checks code against the user's secret for the current step and its neighbours,
// skipping every step at or before MFA.LastStep, and records the matched step in the same
// UpdateUser transaction that re-checks it: a code is accepted once, even by parallel requests.
// also, when set, changes the MFA record in that transaction too (confirmation).
func (s *Service) acceptTOTP(ctx context.Context, u *launchpad.User, code string, now time.Time, also func(*launchpad.MFA)) (*launchpad.User, error) {
	wrong := launchpad.Errorf(launchpad.EUNAUTHORIZED, "the authenticator code is wrong or was already used; wait for the next one")
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "code must be the 6 digits shown by the authenticator app")
	}
	secret, err := s.keyring.Open(u.MFA.SealedSecret, u.ID)
	if err != nil {
		return nil, err
	}
	step := matchTOTP(string(secret), code, now, u.MFA.LastStep)
	if step == 0 {
		return nil, wrong
	}
	sealed := u.MFA.SealedSecret
	return s.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		if u.MFA.SealedSecret != sealed || step <= u.MFA.LastStep {
			return wrong // re-enrolled meanwhile, or a parallel request took this step
		}
		u.MFA.LastStep = step
		if also != nil {
			also(&u.MFA)
		}
		return nil
	})
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
