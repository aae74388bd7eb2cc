package auth

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// A TOTP factor marked for re-enrolment (MFA.ReenrolRequired, set by `rotate-secret
// --rotate-keys` after a leaked PLATFORM_SECRET) had its secret sealed under the leaked key:
// whoever holds that key and a copy of the store can compute its codes. So from the mark on:
//
//   - its codes are refused at sign-in; the second factor is a recovery code (stored only as
//     a hash, which the platform secret does not protect, so the leak did not expose it);
//   - a user with no recovery code left signs in with the emailed code alone, as without TOTP,
//     rather than being locked out (the email sent with the mark tells them to enrol at once);
//   - enrolling again is allowed over the marked factor, and the new enrolment clears the mark.

// secondFactorRequired reports whether sign-in must pass the second factor after the email
// code.
func secondFactorRequired(m launchpad.MFA) bool {
	return m.Enabled() && !(m.ReenrolRequired && len(m.RecoveryCodes) == 0)
}

// refuseMarkedTOTP refuses a TOTP code from a factor marked for re-enrolment.
func refuseMarkedTOTP(m launchpad.MFA, code string) error {
	if m.ReenrolRequired && code != "" {
		return launchpad.Errorf(launchpad.EUNAUTHORIZED, "your authenticator app must be set up again after a security incident, so its codes "+
			"are no longer accepted: send a recovery_code instead, then enrol again (POST /api/auth/mfa/totp)")
	}
	return nil
}

// mayEnrol reports whether a new TOTP enrolment may replace the user's factor: when none is
// on, or the one on is marked for re-enrolment.
func mayEnrol(m launchpad.MFA) bool {
	return !m.Enabled() || m.ReenrolRequired
}
