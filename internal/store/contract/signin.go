package contract

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// What VerifySignInCode answers when it accepts no guess; the person signing in reads these,
// so every store says the same.

// NoSignInCode is ENOTFOUND: the email has no code to check a guess against.
func NoSignInCode() error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "there is no sign-in code for this email; request a new one")
}

// SignInCodeUsable is EINVALID for a code that was used already or has expired at now (at its
// ExpiresAt it has); a guess against such a code is neither counted nor compared.
func SignInCodeUsable(used bool, expiresAt, now time.Time) error {
	switch {
	case used:
		return SignInCodeUsed()
	case !now.Before(expiresAt):
		return SignInCodeExpired()
	}
	return nil
}

// SignInCodeUsed is EINVALID: the code signed someone in already.
func SignInCodeUsed() error {
	return launchpad.Errorf(launchpad.EINVALID, "this sign-in code was already used; request a new one")
}

// SignInCodeExpired is EINVALID: the code's time is up.
func SignInCodeExpired() error {
	return launchpad.Errorf(launchpad.EINVALID, "this sign-in code has expired; request a new one")
}

// TooManyGuesses is ERATELIMITED: the code's attempts are used up, even for a right guess.
func TooManyGuesses() error {
	return launchpad.Errorf(launchpad.ERATELIMITED, "too many attempts for this sign-in code; request a new one")
}

// WrongSignInCode is EINVALID: the guess is not the code.
func WrongSignInCode() error {
	return launchpad.Errorf(launchpad.EINVALID, "the sign-in code is wrong")
}

// TokenUsed is ECONFLICT: UseToken found the single-use token spent already.
func TokenUsed() error {
	return launchpad.Errorf(launchpad.ECONFLICT, "this token was already used")
}
