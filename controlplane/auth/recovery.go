package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Recovery codes: ten per enrolment, each 16 characters of a 32-letter alphabet (80 bits).
const (
	recoveryCodes    = 10
	recoveryCodeLen  = 16
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

// useRecoveryCode spends one recovery code: it is removed in the same transaction that finds it.
func (s *Service) useRecoveryCode(ctx context.Context, c Client, u *launchpad.User, code string) (*launchpad.User, error) {
	h := hashRecoveryCode(u.ID, code)
	updated, err := s.store.UpdateUser(ctx, u.ID, func(u *launchpad.User) error {
		i := slices.Index(u.MFA.RecoveryCodes, h)
		if i < 0 {
			return errWrongRecoveryCode
		}
		u.MFA.RecoveryCodes = slices.Delete(slices.Clone(u.MFA.RecoveryCodes), i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, c, u.ID, launchpad.UserActor(u.ID), launchpad.AuditMFARecoveryUsed, "totp", map[string]string{
		"remaining": strconv.Itoa(len(updated.MFA.RecoveryCodes)),
		"ip":        c.IP,
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
			panic("auth: crypto/rand failed: " + err.Error())
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
