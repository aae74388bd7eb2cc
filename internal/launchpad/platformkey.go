package launchpad

import (
	"context"
	"slices"
	"time"
)

// PlatformKeys is the store's record of the platform key its credentials are sealed under
// (a key id is what envelope derives from PLATFORM_SECRET: 12 hex digits, never a secret).
// Every process that seals compares its own key ids with it first (CheckPlatformKey), so a
// process started with another secret — a new shell, a stale CI variable, a secret retired by
// rotate-secret — fails before it seals anything the others cannot open.
type PlatformKeys struct {
	// Active is the key every credential is sealed under: the first key that sealed into the
	// store, then each key rotate-secret completed a rotation to. "" until the first seal.
	Active string
	// Next is the key a rotation in progress moves to: during a rotation, processes run with
	// PLATFORM_SECRET deriving Next and PLATFORM_SECRET_PREVIOUS deriving Active, and seal
	// under Next; rotate-secret makes Next the Active key once every credential is re-sealed.
	// "" when no rotation is under way.
	Next string
	// Retired are the keys that were Active before, oldest first. Nothing is sealed under a
	// retired key again.
	Retired []string
	// UpdatedAt is when the record last changed (set by the store).
	UpdatedAt time.Time
}

// PlatformKeyStore keeps the one PlatformKeys record of a store.
type PlatformKeyStore interface {
	// GetPlatformKeys returns the record; a store that has none yet returns the zero
	// PlatformKeys (Active "", no error), never ENOTFOUND.
	GetPlatformKeys(ctx context.Context) (*PlatformKeys, error)
	// UpdatePlatformKeys reads the record (the zero PlatformKeys if there is none), calls fn
	// and writes the result, atomically, like UpdateUser: concurrent updates are serialised
	// and fn may be called more than once, so it must not have side effects. If fn returns an
	// error nothing is written and that error is returned. UpdatedAt is set. It returns the
	// record as written.
	UpdatePlatformKeys(ctx context.Context, fn func(*PlatformKeys) error) (*PlatformKeys, error)
}

// CheckPlatformKey says whether a process whose PLATFORM_SECRET derives key id current and
// whose PLATFORM_SECRET_PREVIOUS derives previous ("" when unset) may seal into a store whose
// record is k. It may when:
//
//   - the store has no active key yet (its first seal records current as the active key),
//     unless current is retired;
//   - current is the active key;
//   - a rotation is under way or starting: previous is the active key and current is Next
//     (or Next is unset, and this process's seal records current as Next).
//
// Otherwise the error (EINVALID) names PLATFORM_SECRET and PLATFORM_SECRET_PREVIOUS and says
// what to set them to; it shows key ids only.
func CheckPlatformKey(k *PlatformKeys, current, previous string) error {
	switch {
	case slices.Contains(k.Retired, current):
		return Errorf(EINVALID, "PLATFORM_SECRET derives key id %s, which rotate-secret retired: the store's credentials are now sealed "+
			"under key id %s. Set PLATFORM_SECRET to the current platform secret (the one that derives %s); nothing was sealed under the retired key", current, k.Active, k.Active)
	case k.Active == "" || current == k.Active:
		return nil
	case previous == k.Active && (k.Next == "" || k.Next == current):
		return nil // a rotation from Active to current
	case previous == k.Active:
		return Errorf(EINVALID, "PLATFORM_SECRET derives key id %s, but a rotation to key id %s is already under way in this store "+
			"(PLATFORM_SECRET_PREVIOUS derives the active key %s). Set PLATFORM_SECRET to the secret that rotation uses, "+
			"or finish it with rotate-secret first", current, k.Next, k.Active)
	case k.Next != "" && current == k.Next:
		return Errorf(EINVALID, "PLATFORM_SECRET derives key id %s, the key a rotation in progress moves to, but the store's credentials are "+
			"still sealed under key id %s: set PLATFORM_SECRET_PREVIOUS to the old secret (the one that derives %s) until rotate-secret has finished", current, k.Active, k.Active)
	}
	return Errorf(EINVALID, "PLATFORM_SECRET derives key id %s, but the store's credentials are sealed under key id %s. Set PLATFORM_SECRET "+
		"to the store's platform secret (the one that derives %s) — every process using this store (provider, serve, rotate-secret) needs the same one; "+
		"to move to a new secret, set PLATFORM_SECRET to the new one and PLATFORM_SECRET_PREVIOUS to the old one, then run rotate-secret", current, k.Active, k.Active)
}

// ClaimPlatformKey is what a seal records after CheckPlatformKey passed: the first key of an
// unclaimed store becomes Active, and the first seal of a rotation records its key as Next.
// It reports whether k changed.
func ClaimPlatformKey(k *PlatformKeys, current, previous string) bool {
	switch {
	case k.Active == "":
		k.Active = current
		return true
	case current != k.Active && previous == k.Active && k.Next == "":
		k.Next = current
		return true
	}
	return false
}

// CompleteRotation makes current the Active key once rotate-secret has re-sealed every
// credential under it: the old Active key is retired, and Next is cleared. It reports whether
// k changed.
func CompleteRotation(k *PlatformKeys, current string) bool {
	if k.Active == current && k.Next == "" {
		return false
	}
	if k.Active != "" && k.Active != current && !slices.Contains(k.Retired, k.Active) {
		k.Retired = append(k.Retired, k.Active)
	}
	k.Retired = slices.DeleteFunc(k.Retired, func(id string) bool { return id == current })
	k.Active, k.Next = current, ""
	return true
}
