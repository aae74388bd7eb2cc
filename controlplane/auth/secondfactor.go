package auth

import (
	"context"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// VerifySecondFactor completes a sign-in that needs the second factor: the MFA token from
// VerifyCode and exactly one of a TOTP code and a recovery code. A burst of failures is
// audited (one event at the third).
//
// Errors: EINVALID for a missing token, both or neither factor, or a malformed code;
// EUNAUTHORIZED for a bad or expired token, or a wrong or replayed factor; ERATELIMITED per
// user.
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
	method := signInMethod{email: true}
	if code != "" {
		method.totp = true
		u, err = s.acceptTOTP(ctx, u, code, now, nil)
	} else {
		method.recovery = true
		u, err = s.useRecoveryCode(ctx, c, u, recoveryCode)
	}
	if launchpad.ErrorCode(err) == launchpad.EUNAUTHORIZED {
		s.metrics.SignIn("mfa_failed")
		if n := s.failures.fail("mfa:"+claims.Subject, now); n > 0 {
			if aerr := s.audit(ctx, c, claims.Subject, launchpad.ActorSystem, launchpad.AuditSignInFailed, "totp", map[string]string{
				"failures": strconv.Itoa(n), "ip": c.IP, "factor": "second",
			}); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	} else if err != nil {
		return nil, err
	}
	s.failures.reset("mfa:" + claims.Subject)
	s.metrics.SignIn("mfa_success")
	return s.completeSignIn(ctx, c, u, method)
}
