package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// platformKeysDoc is the platform key record (launchpad_platform/keys).
type platformKeysDoc struct {
	Active    string     `firestore:"active"`
	Next      string     `firestore:"next"`
	Retired   []string   `firestore:"retired"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

func (s *Store) platformKeysRef() *firestore.DocumentRef {
	return s.client.Collection(s.col.platform).Doc("keys")
}

func platformKeysFrom(snap *firestore.DocumentSnapshot) (*launchpad.PlatformKeys, error) {
	if !snap.Exists() {
		return &launchpad.PlatformKeys{}, nil
	}
	var d platformKeysDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode the platform key record")
	}
	k := &launchpad.PlatformKeys{Active: d.Active, Next: d.Next, UpdatedAt: fromTS(d.UpdatedAt)}
	if len(d.Retired) > 0 {
		k.Retired = append([]string(nil), d.Retired...)
	}
	return k, nil
}

// GetPlatformKeys returns the store's platform key record, or the zero record when no
// credential has been sealed yet.
func (s *Store) GetPlatformKeys(ctx context.Context) (*launchpad.PlatformKeys, error) {
	snap, err := s.get(ctx, s.platformKeysRef())
	if err != nil {
		return nil, storeError(err, "read the platform key record")
	}
	return platformKeysFrom(snap)
}

// UpdatePlatformKeys applies fn to the record (the zero record if there is none) atomically.
func (s *Store) UpdatePlatformKeys(ctx context.Context, fn func(*launchpad.PlatformKeys) error) (*launchpad.PlatformKeys, error) {
	var out *launchpad.PlatformKeys
	err := s.atomically(ctx, "update the platform key record", func(b *batch) error {
		snap, err := s.get(ctx, s.platformKeysRef())
		if err != nil {
			return err
		}
		k, err := platformKeysFrom(snap)
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		k.UpdatedAt = s.clock()
		retired := append([]string{}, k.Retired...)
		b.put(snap, &platformKeysDoc{Active: k.Active, Next: k.Next, Retired: retired, UpdatedAt: ts(k.UpdatedAt)})
		out = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
