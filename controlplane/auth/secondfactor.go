package auth

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// VerifySecondFactor completes a sign-in that needs the second factor: the MFA token from
// VerifyCode and exactly one of a TOTP code and a recovery code. A burst of failures is
// audited (one event at the third).
//
// The MFA token is single-use: once the factor checks out, the token's jti is spent in the
// store (Store.UseToken, atomic across replicas) before the factor itself is spent and the
// session opened, so one email code gives one session however many requests carry its token.
// A wrong factor does not spend the token: the user may type the code again.
//
// Errors: EINVALID for a missing token, both or neither factor, or a malformed code;
// EUNAUTHORIZED for a bad, expired or already used token, or a wrong or replayed factor;
// ERATELIMITED per user.
func (s *Service) VerifySecondFactor(ctx context.Context, c Client, mfaToken, code, recoveryCode string) (*SignIn, error) {
	if mfaToken == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mfa_token is empty; send the mfa_token from POST /api/auth/verify")
	}
	if (code == "") == (recoveryCode == "") {
		return nil, launchpad.Errorf(launchpad.EINVALID, "send exactly one of code (from the authenticator app) and recovery_code")
	}
	claims, err := s.tokens.parse(mfaToken, audienceMFA)
	if err != nil {
		return nil, err
	}
	if claims.ID == "" {
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the token is not valid; sign in again")
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
	if err := refuseMarkedTOTP(u.MFA, code); err != nil {
		return nil, err
	}
	method := signInMethod{email: true, totp: code != "", recovery: code == ""}

	if err := s.checkSecondFactor(ctx, c, u, method, code, recoveryCode, now); err != nil {
		return nil, err
	}
	// Spend the token: the one request that gets here first goes on.
	if err := s.store.UseToken(ctx, "mfa:"+claims.ID, claims.ExpiresAt.Time, now); launchpad.IsConflict(err) {
		s.metrics.SignIn("mfa_token_reused")
		s.logger(c).Warn("MFA token presented again after its sign-in", "user_id", u.ID)
		if aerr := s.audit(ctx, c, u.ID, launchpad.ActorSystem, launchpad.AuditSignInFailed, "mfa_token", map[string]string{
			"reason": "mfa_token_reused", "ip": c.IP,
		}); aerr != nil {
			return nil, aerr
		}
		return nil, launchpad.Errorf(launchpad.EUNAUTHORIZED, "this sign-in was already completed with this code; to sign in again, request a new email code")
	} else if err != nil {
		return nil, err
	}
	// Spend the factor (a parallel request may have taken this TOTP step meanwhile).
	if method.totp {
		u, err = s.acceptTOTP(ctx, u, code, now, nil)
	} else {
		u, err = s.useRecoveryCode(ctx, c, u, recoveryCode)
	}
	if err != nil {
		return nil, s.secondFactorFailed(ctx, c, claims.Subject, now, err)
	}
	s.failures.reset("mfa:" + claims.Subject)
	s.metrics.SignIn("mfa_success")
	return s.completeSignIn(ctx, c, u, method)
}

// checkSecondFactor checks the TOTP code (when method says so) or the recovery code without
// spending it; a wrong one counts as a failed second factor of u (secondFactorFailed).
func (s *Service) checkSecondFactor(ctx context.Context, c Client, u *launchpad.User, method signInMethod, totpCode, recoveryCode string, now time.Time) error {
	var err error
	if method.totp {
		_, err = s.totpStep(ctx, u, totpCode, now)
	} else {
		err = checkRecoveryCode(u, recoveryCode)
	}
	if err != nil {
		return s.secondFactorFailed(ctx, c, u.ID, now, err)
	}
	return nil
}

// secondFactorFailed counts a refused second factor (err) and audits a burst of them; it
// returns the error to answer.
func (s *Service) secondFactorFailed(ctx context.Context, c Client, userID string, now time.Time, err error) error {
	if launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED {
		return err
	}
	s.metrics.SignIn("mfa_failed")
	if n := s.failures.fail("mfa:"+userID, now); n > 0 {
		if aerr := s.audit(ctx, c, userID, launchpad.ActorSystem, launchpad.AuditSignInFailed, "totp", map[string]string{
			"failures": strconv.Itoa(n), "ip": c.IP, "factor": "second",
		}); aerr != nil {
			return aerr
		}
	}
	return err
}

// checkRecoveryCode reports whether code is one of u's unused recovery codes, without
// spending it: EUNAUTHORIZED when it is not.
func checkRecoveryCode(u *launchpad.User, code string) error {
	if !slices.Contains(u.MFA.RecoveryCodes, hashRecoveryCode(u.ID, code)) {
		return errWrongRecoveryCode
	}
	return nil
}

var errWrongRecoveryCode = launchpad.Errorf(launchpad.EUNAUTHORIZED, "the recovery code is wrong or was already used")
