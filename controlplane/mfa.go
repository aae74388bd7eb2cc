package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app supports.
const (
	totpIssuer       = "Launchpad"
	totpPeriod       = 30
	totpSkewSteps    = 1 // accept the previous and next 30 s step, for clock drift
	recoveryCodes    = 10
	recoveryCodeLen  = 16 // characters of a 32-letter alphabet: 80 bits
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// EnrolTOTPResponse is shown once: neither the secret nor the recovery codes can be read back.
type EnrolTOTPResponse struct {
	Secret        string   `json:"secret"`
	OTPAuthURL    string   `json:"otpauth_url"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleEnrolTOTP starts (or restarts) TOTP enrolment: a new secret, sealed to the user, and
// ten recovery codes, stored as hashes. The factor is not required at sign-in until confirmed.
// An enabled factor cannot be replaced here, so a stolen access token cannot swap it.
func (s *Server) handleEnrolTOTP(w http.ResponseWriter, r *http.Request, _ *struct{}) (*EnrolTOTPResponse, error) {
	ctx := r.Context()
	userID := principalFrom(ctx).UserID
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.MFA.Enabled() {
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
		if u.MFA.Enabled() {
			return launchpad.Errorf(launchpad.ECONFLICT, "two-factor authentication is already on; it cannot be enrolled again")
		}
		u.MFA = launchpad.MFA{SealedSecret: sealed, RecoveryCodes: hashes, EnrolledAt: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFAEnrolled, "totp", map[string]string{"ip": requestInfoFrom(ctx).ClientIP}); err != nil {
		return nil, err
	}
	return &EnrolTOTPResponse{Secret: key.Secret(), OTPAuthURL: key.URL(), RecoveryCodes: codes}, nil
}

// ConfirmTOTPRequest is the body of POST /api/auth/mfa/totp/confirm.
type ConfirmTOTPRequest struct {
	Code string `json:"code"`
}

// MFAStatusResponse answers a confirmation.
type MFAStatusResponse struct {
	MFAEnabled bool `json:"mfa_enabled"`
}

// handleConfirmTOTP turns the enrolled factor on once the user proves their app has it.
func (s *Server) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, req *ConfirmTOTPRequest) (*MFAStatusResponse, error) {
	ctx := r.Context()
	userID := principalFrom(ctx).UserID
	now := s.now()
	if err := s.limits.mfaPerUser.Take(userID, now); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.MFA.SealedSecret == "":
		return nil, launchpad.Errorf(launchpad.EINVALID, "there is no TOTP enrolment to confirm; start one with POST /api/auth/mfa/totp")
	case u.MFA.Confirmed:
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "two-factor authentication is already on")
	}
	if _, err := s.acceptTOTP(ctx, u, req.Code, now, func(m *launchpad.MFA) { m.Confirmed = true }); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFAConfirmed, "totp", map[string]string{"ip": requestInfoFrom(ctx).ClientIP}); err != nil {
		return nil, err
	}
	return &MFAStatusResponse{MFAEnabled: true}, nil
}

// VerifyMFARequest is the body of POST /api/auth/mfa/verify: the token from verify and either
// a TOTP code or a recovery code.
type VerifyMFARequest struct {
	MFAToken     string `json:"mfa_token"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// handleVerifyMFA completes a sign-in that needs the second factor.
func (s *Server) handleVerifyMFA(w http.ResponseWriter, r *http.Request, req *VerifyMFARequest) (*TokenResponse, error) {
	ctx := r.Context()
	if req.MFAToken == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mfa_token is empty; send the mfa_token from POST /api/auth/verify")
	}
	if (req.Code == "") == (req.RecoveryCode == "") {
		return nil, launchpad.Errorf(launchpad.EINVALID, "send exactly one of code (from the authenticator app) and recovery_code")
	}
	claims, err := s.tokens.parse(req.MFAToken, audienceMFA)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.limits.mfaPerUser.Take(claims.Subject, now); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, claims.Subject)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the token is not valid; sign in again")
	} else if err != nil {
		return nil, err
	}
	if !u.MFA.Enabled() {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "two-factor authentication changed during this sign-in; sign in again")
	}
	method := signInMethod{email: true}
	if req.Code != "" {
		method.totp = true
		u, err = s.acceptTOTP(ctx, u, req.Code, now, nil)
	} else {
		method.recovery = true
		u, err = s.useRecoveryCode(ctx, u, req.RecoveryCode)
	}
	if launchpad.ErrorCode(err) == launchpad.EUNAUTHORIZED {
		s.metrics.signIn("mfa_failed")
		if n := s.failures.fail("mfa:"+claims.Subject, now); n > 0 {
			if aerr := s.audit(ctx, claims.Subject, launchpad.ActorSystem, launchpad.AuditSignInFailed, "totp", map[string]string{
				"failures": strconv.Itoa(n), "ip": requestInfoFrom(ctx).ClientIP, "factor": "second",
			}); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	} else if err != nil {
		return nil, err
	}
	s.failures.reset("mfa:" + claims.Subject)
	s.metrics.signIn("mfa_success")
	return s.completeSignIn(ctx, u, s.device(w, r), method)
}

// acceptTOTP checks code against the user's secret for the current step and its neighbours,
// skipping every step at or before MFA.LastStep, and records the matched step in the same
// UpdateUser transaction that re-checks it: a code is accepted once, even by parallel requests.
// also, when set, changes the MFA record in that transaction too (confirmation).
func (s *Server) acceptTOTP(ctx context.Context, u *launchpad.User, code string, now time.Time, also func(*launchpad.MFA)) (*launchpad.User, error) {
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

// useRecoveryCode spends one recovery code: it is removed in the same transaction that finds it.
func (s *Server) useRecoveryCode(ctx context.Context, u *launchpad.User, code string) (*launchpad.User, error) {
	h := hashRecoveryCode(u.ID, code)
	updated, err := s.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		i := slices.Index(u.MFA.RecoveryCodes, h)
		if i < 0 {
			return launchpad.Errorf(launchpad.EUNAUTHORIZED, "the recovery code is wrong or was already used")
		}
		u.MFA.RecoveryCodes = slices.Delete(slices.Clone(u.MFA.RecoveryCodes), i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFARecoveryUsed, "totp", map[string]string{
		"remaining": strconv.Itoa(len(updated.MFA.RecoveryCodes)),
		"ip":        requestInfoFrom(ctx).ClientIP,
	}); err != nil {
		return nil, err
	}
	return updated, nil
}

// newRecoveryCodes returns ten codes formatted xxxx-xxxx-xxxx-xxxx and their hashes.
func newRecoveryCodes(userID string) (codes, hashes []string) {
	for range recoveryCodes {
		b := make([]byte, recoveryCodeLen)
		if _, err := rand.Read(b); err != nil {
			panic("controlplane: crypto/rand failed: " + err.Error())
		}
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[c%32]) // 256 is a multiple of 32: no bias
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, hashRecoveryCode(userID, sb.String()))
	}
	return codes, hashes
}

// hashRecoveryCode is SHA-256 over the user id and the normalised code. Codes carry 80 random
// bits, so a fast unsalted-but-user-bound hash is out of reach of offline guessing, and it
// does not depend on the platform secret (rotating it keeps recovery codes valid).
func hashRecoveryCode(userID, code string) string {
	code = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("launchpad-recovery-v1\x00" + userID + "\x00" + code))
	return hex.EncodeToString(sum[:])
}
