package firestore

import (
	"bytes"
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// userKeyDoc is a user's key material (launchpad_user_keys/{uid}).
type userKeyDoc struct {
	Material  []byte     `firestore:"material"`
	CreatedAt *time.Time `firestore:"createdAt"`
}

func (s *Store) userKeyRef(userID string) *firestore.DocumentRef {
	return s.doc(s.col.userKeys, userID)
}

func userKeyFrom(snap *firestore.DocumentSnapshot, userID string) ([]byte, error) {
	if !snap.Exists() {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "user %s has no key material", launchpad.Clip(userID, 60))
	}
	var d userKeyDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode a user's key material")
	}
	return d.Material, nil
}

// GetUserKey returns the user's key material; ENOTFOUND when there is none.
func (s *Store) GetUserKey(ctx context.Context, userID string) ([]byte, error) {
	snap, err := s.get(ctx, s.userKeyRef(userID))
	if err != nil {
		return nil, storeError(err, "read a user's key material")
	}
	return userKeyFrom(snap, userID)
}

// CreateUserKey stores material unless the user has some already, and returns what is
// stored: the creation is conditional on the document not existing, so of two first seals
// racing, the second reads the first one's material.
func (s *Store) CreateUserKey(ctx context.Context, userID string, material []byte) ([]byte, error) {
	if err := launchpad.ValidateUserKey(material); err != nil {
		return nil, err
	}
	var out []byte
	err := s.atomically(ctx, "create a user's key material", func(b *batch) error {
		user, err := s.get(ctx, s.userRef(userID))
		if err != nil {
			return err
		}
		if !user.Exists() {
			return launchpad.Errorf(launchpad.ENOTFOUND, "there is no user %s to create key material for", launchpad.Clip(userID, 60))
		}
		snap, err := s.get(ctx, s.userKeyRef(userID))
		if err != nil {
			return err
		}
		if snap.Exists() {
			out, err = userKeyFrom(snap, userID)
			return err
		}
		b.create(snap.Ref, &userKeyDoc{Material: material, CreatedAt: ts(s.clock())})
		out = bytes.Clone(material)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteUserKey deletes the material's document; Google's deletion process then purges it
// from storage, as with EraseUser.
func (s *Store) DeleteUserKey(ctx context.Context, userID string) error {
	if _, err := s.userKeyRef(userID).Delete(ctx); err != nil {
		return storeError(err, "delete a user's key material")
	}
	return nil
}
