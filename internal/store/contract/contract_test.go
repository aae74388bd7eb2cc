package contract

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The conformance suite checks these rules through every store; these cases read them
// directly.

func TestRotationChecksRevokedAndExpiredBeforeReuse(t *testing.T) {
	now := time.Date(2041, 3, 14, 15, 9, 26, 0, time.UTC)
	live := launchpad.Session{ExpiresAt: now.Add(time.Hour)}
	for _, c := range []struct {
		name   string
		change func(*launchpad.Session)
		reused bool
		code   string
	}{
		{"live", func(*launchpad.Session) {}, false, ""},
		{"rotated before", func(s *launchpad.Session) { s.RotatedAt = now.Add(-time.Minute) }, true, ""},
		{"revoked, also rotated", func(s *launchpad.Session) { s.RotatedAt, s.RevokedAt = now, now }, false, launchpad.EUNAUTHORIZED},
		{"at its expiry", func(s *launchpad.Session) { s.ExpiresAt, s.RotatedAt = now, now }, false, launchpad.EUNAUTHORIZED},
	} {
		s := live
		c.change(&s)
		reused, err := Rotation(&s, now)
		if reused != c.reused || launchpad.ErrorCode(err) != c.code {
			t.Errorf("%s: Rotation = %v, %v; want %v and code %q", c.name, reused, err, c.reused, c.code)
		}
	}
}

func TestListLimit(t *testing.T) {
	for asked, want := range map[int]int{-1: 100, 0: 100, 1: 1, 1000: 1000, 1001: 1000} {
		if got := ListLimit(asked); got != want {
			t.Errorf("ListLimit(%d) = %d, want %d", asked, got, want)
		}
	}
}
