package launchpad

import "time"

// Audit actions of step-up and two-factor changes (the other auth.* actions are listed with
// every action in audit.go).
const (
	// AuditStepUp: the user confirmed a sign-in again (the emailed code, and the second
	// factor when on) for a security-sensitive action.
	AuditStepUp = "auth.step_up"
	// AuditMFADisabled: two-factor authentication was turned off (or an enrolment abandoned).
	AuditMFADisabled = "auth.mfa_disabled"
	// AuditMFARecoveryRegenerated: the recovery codes were replaced by new ones.
	AuditMFARecoveryRegenerated = "auth.mfa_recovery_regenerated"
)

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
// token presented again means it was stolen, and the whole family is revoked. The family's
// one session that is not rotated is its current session (Store.GetCurrentSession): the
// family is signed in while that session is active.
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
	RevokedAt time.Time // zero until logout, reuse detection, sign-out-everywhere or TOTP turned on
	// AuthTime is when the user last proved who they are in this family: the sign-in that
	// opened it (the emailed code, and the second factor when on), or a later step-up. A
	// rotation copies it to the next session; zero means unknown (sessions older than the
	// field), which no step-up check accepts.
	AuthTime time.Time
	// IP is the client address the session was last used from (the sign-in, a refresh, or a
	// request that Store.TouchSession recorded), as the control plane determines it behind
	// its trusted proxies; empty for sessions older than the field. It goes with the user on
	// erasure and with the session when retention purges it.
	IP string
	// LastSeenAt is when the session was last used: its creation (sign-in or refresh), or a
	// later request recorded by TouchSession. Zero for sessions older than the field.
	LastSeenAt time.Time
}

// LastActive is when the session was last used: LastSeenAt, or for sessions older than that
// field, when its token was issued.
func (s *Session) LastActive() time.Time {
	if s.LastSeenAt.After(s.CreatedAt) {
		return s.LastSeenAt
	}
	return s.CreatedAt
}

// SignedIn reports whether s, a family's current session, still signs its family in at now:
// neither revoked nor expired. (Active also requires that it is not rotated.)
func (s *Session) SignedIn(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
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
