package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestMatchTOTPAcceptsNeighbouringStepsOnlyAfterTheLastOne(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC)
	step := now.Unix() / 30
	for _, tc := range []struct {
		at       time.Time
		lastStep int64
		want     int64
	}{
		{now, 0, step},
		{now.Add(-30 * time.Second), 0, step - 1},
		{now.Add(30 * time.Second), 0, step + 1},
		{now.Add(-60 * time.Second), 0, 0},
		{now.Add(60 * time.Second), 0, 0},
		{now, step, 0},
		{now.Add(30 * time.Second), step, step + 1},
	} {
		code, err := totp.GenerateCode(secret, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchTOTP(secret, code, now, tc.lastStep); got != tc.want {
			t.Errorf("code at %s, last step %d: got step %d, want %d", tc.at.Format(time.TimeOnly), tc.lastStep, got, tc.want)
		}
	}
}

func TestRecoveryCodesAreUniformAndHashed(t *testing.T) {
	codes, hashes := newRecoveryCodes("user1")
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("bad code %q", c)
		}
		seen[c] = true
		if hashRecoveryCode("user1", c) != hashes[i] || hashRecoveryCode("user2", c) == hashes[i] {
			t.Fatal("hash is not bound to the user")
		}
	}
}
