package subkey

import (
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The audit events of a sub-key's lifecycle, in the user's stream. The caller sets the actor
// and appends them once the change has happened.

// MintedEvent records a new key with its cap.
func MintedEvent(k *launchpad.SubKey) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{Stream: k.UserID, Action: launchpad.AuditKeyMinted, Target: k.Hash,
		Details: map[string]string{"plan": k.Plan, "limit_usd": formatUSD(k.LimitUSD), "limit_reset": k.LimitReset}}
}

// RotatedEvent records the key that replaced the one hashed previous.
func RotatedEvent(k *launchpad.SubKey, previous string) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{Stream: k.UserID, Action: launchpad.AuditKeyRotated, Target: k.Hash,
		Details: map[string]string{"previous": previous, "generation": strconv.FormatInt(k.RotationGeneration, 10)}}
}

// LimitChangedEvent records a key whose limit moved from previousUSD; nil when it did not.
func LimitChangedEvent(k *launchpad.SubKey, previousUSD float64) *launchpad.AuditEvent {
	if k.LimitUSD == previousUSD {
		return nil
	}
	return &launchpad.AuditEvent{Stream: k.UserID, Action: launchpad.AuditKeyLimitChanged, Target: k.Hash,
		Details: map[string]string{"plan": k.Plan, "limit_usd": formatUSD(k.LimitUSD), "previous_limit_usd": formatUSD(previousUSD)}}
}

// DestroyedEvent records a key revoked because its resource was destroyed.
func DestroyedEvent(userID, hash string) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{Stream: userID, Action: launchpad.AuditKeyRevoked, Target: hash,
		Details: map[string]string{"reason": "destroyed"}}
}

func formatUSD(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
