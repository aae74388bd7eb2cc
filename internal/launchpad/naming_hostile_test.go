package launchpad_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// FuzzAppName is the app-name rule from the making side: whatever product, user id and time
// it is given, AppName either refuses them (EINVALID) or returns a name that is a valid Fly
// app name and DNS label (ValidateAppName), at most 63 bytes, that parses back to the same
// product, the user's uid8 and the time. No user id — path separators, SQL, unicode — can
// leave a name that escapes the rule.
func FuzzAppName(f *testing.F) {
	for _, s := range []struct {
		product, user string
		unix          int64
	}{
		{"hermes", "u7k2p9x4abcdefgh", 1_750_000_000}, {"openclaw", "AB-cd_EF.gh", 1},
		{"hermes", "../../etc/passwd", 1_750_000_000}, {"hermes", "x' OR '1'='1", 1_750_000_000},
		{"hermes", "users/victim", 1_750_000_000}, {"hermes", "ａｄｍｉｎ", 1_750_000_000},
		{"h", strings.Repeat("a", 300), 1 << 40}, {"", "", 0}, {"HERMES", "u1", -5}, {"her mes", "u1", 5},
	} {
		f.Add(s.product, s.user, s.unix)
	}
	f.Fuzz(func(t *testing.T, product, userID string, unix int64) {
		created := time.Unix(unix, 0)
		name, err := launchpad.AppName(product, userID, created)
		if err != nil {
			if launchpad.ErrorCode(err) != launchpad.EINVALID || launchpad.ErrorMessage(err) == "" {
				t.Fatalf("AppName(%q, %q, %d) failed without a clear EINVALID error: %v", product, userID, unix, err)
			}
			return
		}
		if err := launchpad.ValidateAppName(name); err != nil || len(name) > 63 {
			t.Fatalf("AppName(%q, %q, %d) = %q, which the rule refuses (%v) or is over 63 bytes", product, userID, unix, name, err)
		}
		parts, err := launchpad.ParseAppName(name)
		if err != nil {
			t.Fatalf("AppName made %q, which does not parse: %v", name, err)
		}
		uid8, err := launchpad.UID8(userID)
		if err != nil || parts.Product != product || parts.UID8 != uid8 || !parts.Created.Equal(time.Unix(unix, 0)) {
			t.Fatalf("AppName(%q, %q, %d) = %q parses to %+v (uid8 %q, %v)", product, userID, unix, name, parts, uid8, err)
		}
	})
}
