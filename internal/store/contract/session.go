package contract

import (
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Rotation says what presenting the refresh token of old at now does in RotateSession:
// EUNAUTHORIZED for a revoked or expired session (checked first, so once a reuse has revoked
// the family every later presentation is refused); reused when the token was rotated before,
// which means two holders have it and the caller signs the whole family out; otherwise the
// token may be exchanged for a new session.
func Rotation(old *launchpad.Session, now time.Time) (reused bool, err error) {
	switch {
	case !old.RevokedAt.IsZero():
		return false, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token was revoked; sign in again")
	case !now.Before(old.ExpiresAt):
		return false, launchpad.Errorf(launchpad.EUNAUTHORIZED, "the refresh token has expired; sign in again")
	}
	return !old.RotatedAt.IsZero(), nil
}
