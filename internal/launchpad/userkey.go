package launchpad

import "context"

// UserKeyLength is the length of a user's key material, in bytes.
const UserKeyLength = 32

// UserKeyStore keeps each user's key material: UserKeyLength random bytes, created on the
// first seal for the user, that envelope mixes with the platform secret's key into the key of
// every credential it seals for them. Deleting the material crypto-shreds those credentials:
// a copy of a sealed value kept anywhere (a log, a forgotten row, an export) no longer opens,
// even with PLATFORM_SECRET. Neither half alone opens anything: the store holds the material,
// never the platform secret.
type UserKeyStore interface {
	// GetUserKey returns the user's key material; ENOTFOUND when there is none (nothing was
	// ever sealed for the user, or the material was deleted).
	GetUserKey(ctx context.Context, userID string) ([]byte, error)
	// CreateUserKey stores material as the user's key material unless the user already has
	// some, and returns what is stored: two first seals racing agree on one material.
	// EINVALID unless material is UserKeyLength bytes; ENOTFOUND when there is no user
	// userID, so an erased user never gets new material.
	CreateUserKey(ctx context.Context, userID string, material []byte) ([]byte, error)
	// DeleteUserKey deletes the user's key material, unreadable in the store's files like
	// EraseUser's records; deleting material that is not there succeeds.
	DeleteUserKey(ctx context.Context, userID string) error
}

// ValidateUserKey checks the length of key material before a store keeps it.
func ValidateUserKey(material []byte) error {
	if len(material) != UserKeyLength {
		return Errorf(EINVALID, "user key material is %d bytes; it must be exactly %d random bytes", len(material), UserKeyLength)
	}
	return nil
}
