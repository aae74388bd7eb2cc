package launchpad

import "time"

// Sign-in code limits.
const (
	SignInCodeTTL         = 15 * time.Minute
	SignInCodeMaxAttempts = 5
)

// SignInCode is the one current sign-in code of an email address. Only an HMAC of the code is
// stored; a new code for the same address replaces (invalidates) the previous one.
type SignInCode struct {
	Email     string
	HMAC      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int
	Used      bool
}

// Session is one refresh token. Tokens are opaque to the client and stored only as a hash.
// Rotation creates a new session in the same Family and marks the old one rotated; a rotated
// token presented again means it was stolen, and the whole family is revoked.
type Session struct {
	ID        string
	UserID    string
	FamilyID  string
	TokenHash string
	DeviceID  string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt time.Time // zero until the token is exchanged
	RevokedAt time.Time // zero until logout, reuse detection or sign-out-everywhere
}

// Active reports whether s can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && s.RotatedAt.IsZero() && now.Before(s.ExpiresAt)
}

// RotateResult is the outcome of Store.RotateSession.
type RotateResult struct {
	Old *Session
	New *Session // nil when Reused
	// Reused is true when the presented token had already been rotated: the store has revoked
	// every session of its family, and the caller should audit AuditRefreshReuse.
	Reused bool
}

// Device is a client the user has signed in from (a fingerprint cookie and user agent).
type Device struct {
	UserID      string
	Fingerprint string // a hash of the device cookie; never the cookie itself
	UserAgent   string
	FirstSeen   time.Time
	LastSeen    time.Time
}

// StateBlob is a Terraform state file kept for one workspace (one per user).
type StateBlob struct {
	Workspace string
	Data      []byte
	// Version increases by one on every PutState; PutState with a non-zero Version fails with
	// ECONFLICT unless it equals the stored one (optimistic concurrency).
	Version   int64
	UpdatedAt time.Time
}
