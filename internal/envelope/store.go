package envelope

import (
	"context"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// KeyStore is what the store guard needs of a launchpad.Store: its platform key record, and
// its users, whose sealed fields show which key a store without a record was sealed under.
type KeyStore interface {
	launchpad.PlatformKeyStore
	ListUsers(ctx context.Context, afterID string, limit int) ([]*launchpad.User, error)
}

// sampleUsers is how many users a store without a platform key record is sampled for the key
// its credentials are sealed under (a store written before the record existed).
const sampleUsers = 200

// CheckStore reports whether k may seal into st, without writing anything: its key ids must
// fit the store's platform key record (launchpad.CheckPlatformKey). A store without a record
// yet is checked against the credentials it already holds (a sample of its users): they must
// be sealed under k's current or previous key. The error (EINVALID) names PLATFORM_SECRET and
// PLATFORM_SECRET_PREVIOUS; it shows key ids, never a secret. Processes call it when they
// start (serve) or plan (the provider), before they change anything.
func (k *Keyring) CheckStore(ctx context.Context, st KeyStore) error {
	rec, err := st.GetPlatformKeys(ctx)
	if err != nil {
		return launchpad.Wrapf(err, "reading the store's platform key record")
	}
	if err := launchpad.CheckPlatformKey(rec, k.CurrentKeyID(), k.PreviousKeyID()); err != nil {
		return err
	}
	if rec.Active == "" {
		_, err := k.sealedUnder(ctx, st)
		return err
	}
	return nil
}

// ClaimStore is CheckStore followed, in one transaction, by recording k's key in the store's
// record where this is the first seal (launchpad.ClaimPlatformKey): of the store (its key
// becomes the active key; a store that already holds credentials keeps the key they are sealed
// under), or of a rotation (its key becomes the rotation's next key). Every seal into a store
// calls it first, so nothing is ever sealed under a key the store has retired or never had.
func (k *Keyring) ClaimStore(ctx context.Context, st KeyStore) error {
	rec, err := st.GetPlatformKeys(ctx)
	if err != nil {
		return launchpad.Wrapf(err, "reading the store's platform key record")
	}
	current, previous := k.CurrentKeyID(), k.PreviousKeyID()
	if err := launchpad.CheckPlatformKey(rec, current, previous); err != nil {
		return err
	}
	active := current
	if rec.Active == "" {
		if active, err = k.sealedUnder(ctx, st); err != nil {
			return err
		}
	} else if !launchpad.ClaimPlatformKey(&launchpad.PlatformKeys{Active: rec.Active, Next: rec.Next}, current, previous) {
		return nil // nothing to record: the usual case, one read
	}
	_, err = st.UpdatePlatformKeys(ctx, func(r *launchpad.PlatformKeys) error {
		if err := launchpad.CheckPlatformKey(r, current, previous); err != nil {
			return err // another process claimed the store first, under another key
		}
		if r.Active == "" {
			r.Active = active
		}
		launchpad.ClaimPlatformKey(r, current, previous)
		return nil
	})
	return err
}

// sealedUnder samples the sealed fields of a store without a platform key record and returns
// the key they are sealed under: k's previous key if any is (the store is half-way through a
// rotation to k's current key), else k's current key. A value sealed under neither is an
// error naming PLATFORM_SECRET.
func (k *Keyring) sealedUnder(ctx context.Context, st KeyStore) (string, error) {
	users, err := st.ListUsers(ctx, "", sampleUsers)
	if err != nil {
		return "", launchpad.Wrapf(err, "reading the store's users to check which key their credentials are sealed under")
	}
	current, previous := k.CurrentKeyID(), k.PreviousKeyID()
	var seen []string
	for _, u := range users {
		for _, p := range u.SealedFields() {
			if *p == "" {
				continue
			}
			id, err := KeyID(*p)
			if err != nil || slices.Contains(seen, id) {
				continue // not a sealed value: rotate-secret reports those
			}
			seen = append(seen, id)
			if id != current && id != previous {
				return "", launchpad.Errorf(launchpad.EINVALID, "the store holds credentials sealed under key id %s (user %s), but PLATFORM_SECRET "+
					"derives key id %s and PLATFORM_SECRET_PREVIOUS %s: set PLATFORM_SECRET to the secret the store was sealed with "+
					"(to move to a new secret, set PLATFORM_SECRET_PREVIOUS to it and PLATFORM_SECRET to the new one, then run rotate-secret)",
					id, launchpad.Clip(u.ID, 60), current, k.previousID())
			}
		}
	}
	if previous != "" && slices.Contains(seen, previous) {
		return previous, nil
	}
	return current, nil
}
