package firestore

import (
	"context"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// deviceDoc is a device a user signed in from (launchpad_devices/{userId, fingerprint}).
type deviceDoc struct {
	UserID      string     `firestore:"userId"`
	Fingerprint string     `firestore:"fingerprint"`
	UserAgent   string     `firestore:"userAgent"`
	FirstSeen   *time.Time `firestore:"firstSeen"`
	LastSeen    *time.Time `firestore:"lastSeen"`
}

func (d *deviceDoc) device() *launchpad.Device {
	return &launchpad.Device{
		UserID: d.UserID, Fingerprint: d.Fingerprint, UserAgent: d.UserAgent,
		FirstSeen: fromTS(d.FirstSeen), LastSeen: fromTS(d.LastSeen),
	}
}

// TouchDevice records that the user signed in from d at now. The device document is created
// on condition that it does not exist, so of concurrent first sign-ins exactly one sees isNew.
func (s *Store) TouchDevice(ctx context.Context, d *launchpad.Device, now time.Time) (bool, error) {
	seen := ts(now)
	var isNew bool
	err := s.atomically(ctx, "touch device", func(b *batch) error {
		snap, err := s.get(ctx, s.doc(s.col.devices, compositeID(d.UserID, d.Fingerprint)))
		if err != nil {
			return err
		}
		isNew = !snap.Exists()
		doc := deviceDoc{UserID: d.UserID, Fingerprint: d.Fingerprint, FirstSeen: seen}
		if !isNew {
			var known deviceDoc
			if err := snap.DataTo(&known); err != nil {
				return err
			}
			doc.FirstSeen = known.FirstSeen
		}
		doc.UserAgent, doc.LastSeen = d.UserAgent, seen
		b.put(snap, &doc)
		return nil
	})
	if err != nil {
		return false, err
	}
	return isNew, nil
}

// ListDevices returns the user's devices, most recently seen first.
func (s *Store) ListDevices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	out, err := readAll(ctx, s.client.Collection(s.col.devices).Where("userId", "==", userID), "list devices", deviceFromSnap)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *launchpad.Device) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(a.Fingerprint, b.Fingerprint)
	})
	return out, nil
}

func deviceFromSnap(snap *firestore.DocumentSnapshot) (*launchpad.Device, error) {
	var d deviceDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode device")
	}
	return d.device(), nil
}
