package launchpad

import (
	"context"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Store is everything Launchpad keeps. Two implementations pass one conformance suite
// (internal/launchpad/storetest): internal/sqlite, the embedded default, and
// internal/firestore, the production store. Several control-plane processes may share one
// store: every method is atomic on its own, and the methods that coordinate processes
// (RecordStripeEvent, ClaimJob, VerifySignInCode, RotateSession, AppendAudit, the Update*
// methods, UpdatePlatformKeys among them) are transactions, never in-process locks.
//
// Errors: ENOTFOUND for a missing record, ECONFLICT for a duplicate or a lost race, EINVALID
// for a record that cannot be stored (the message says why), EUNAVAILABLE when the backing
// database cannot be reached. Returned records are copies the caller may modify.
type Store interface {
	UserStore
	PlanStore
	TenantStore
	SubKeyStore
	StripeEventStore
	JobStore
	SignInStore
	SessionStore
	AuditStore
	StateStore
	PlatformKeyStore
	RetentionStore
	ErasureStore
	AuditTrimStore
	UserKeyStore
	RolloutStore
	RetainedWorkspaceStore

	// Ping reports whether the store can be reached (the control plane's /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// UserStore keeps users (in Firestore, the launchpad_users/{uid} documents the host's web app
// shares).
type UserStore interface {
	// CreateUser stores a new user. ECONFLICT if the id, or a non-empty email, is taken.
	// Zero CreatedAt/UpdatedAt are set to the current time.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail finds a user by normalised email.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// GetUserByStripeCustomer finds a user by Subscription.StripeCustomerID.
	GetUserByStripeCustomer(ctx context.Context, customerID string) (*User, error)
	// UpdateUser reads the user, calls fn, and writes the result, atomically: concurrent
	// updates are serialised (fn may be called more than once; it must not have side
	// effects). If fn returns an error nothing is written and that error is returned. fn may
	// not change ID; changing Email to a taken one is ECONFLICT. UpdatedAt is set.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (*User, error)
	// ListUsers returns up to limit users with ID > afterID, ordered by ID.
	ListUsers(ctx context.Context, afterID string, limit int) ([]*User, error)
}

// PlanStore keeps launchpad_plan records.
type PlanStore interface {
	// CreatePlan: ECONFLICT if the name, or a non-empty StripePriceID, is taken.
	CreatePlan(ctx context.Context, p *Plan) error
	GetPlan(ctx context.Context, name string) (*Plan, error)
	GetPlanByStripePrice(ctx context.Context, priceID string) (*Plan, error)
	// ListPlans returns every plan ordered by name.
	ListPlans(ctx context.Context) ([]*Plan, error)
	// UpdatePlan is atomic like UpdateUser; fn may not change Name; ECONFLICT if the new
	// StripePriceID belongs to another plan.
	UpdatePlan(ctx context.Context, name string, fn func(*Plan) error) (*Plan, error)
	DeletePlan(ctx context.Context, name string) error
}

// TenantStore keeps tenant records, keyed by app name.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, appName string) (*Tenant, error)
	// ListTenants returns matching tenants ordered by app name.
	ListTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, appName string, fn func(*Tenant) error) (*Tenant, error)
	DeleteTenant(ctx context.Context, appName string) error
}

// SubKeyStore keeps sub-key records (never the key), keyed by OpenRouter hash.
type SubKeyStore interface {
	CreateSubKey(ctx context.Context, k *SubKey) error
	GetSubKey(ctx context.Context, hash string) (*SubKey, error)
	// ListSubKeys returns matching sub-keys ordered by hash.
	ListSubKeys(ctx context.Context, f SubKeyFilter) ([]*SubKey, error)
	UpdateSubKey(ctx context.Context, hash string, fn func(*SubKey) error) (*SubKey, error)
	DeleteSubKey(ctx context.Context, hash string) error
}

// StripeEventStore records verified webhook events exactly once.
type StripeEventStore interface {
	// RecordStripeEvent stores ev unless an event with its ID exists, and in the same
	// transaction enqueues job (if not nil) as EnqueueJob would. It returns false, with
	// nothing written, for a duplicate. Safe under any number of concurrent writers.
	RecordStripeEvent(ctx context.Context, ev *StripeEvent, job *Job) (recorded bool, err error)
	GetStripeEvent(ctx context.Context, id string) (*StripeEvent, error)
	UpdateStripeEvent(ctx context.Context, id string, fn func(*StripeEvent) error) (*StripeEvent, error)
	// ListStripeEvents returns up to limit events, newest received first.
	ListStripeEvents(ctx context.Context, limit int) ([]*StripeEvent, error)
}

// JobStore is the work queue shared by control-plane replicas.
type JobStore interface {
	// EnqueueJob stores j as JobQueued (ID, CreatedAt and RunAfter are set when zero) and
	// returns it. With j.Supersede, queued jobs of the same Kind and Key become
	// JobSuperseded in the same transaction.
	EnqueueJob(ctx context.Context, j *Job) (*Job, error)
	// ClaimJob atomically takes the oldest runnable job of the given kinds: a queued job whose
	// RunAfter has passed, or a running job whose lease expired (its worker died), provided no
	// other job with the same Key holds a live lease. The job becomes JobRunning, leased to
	// c.Worker until c.Now+c.Lease, with Attempts incremented. A job whose lease expired with
	// no attempts left becomes JobFailed instead. ENOTFOUND when nothing is runnable. Exactly
	// one of any number of concurrent claimers gets a given job.
	ClaimJob(ctx context.Context, c JobClaim) (*Job, error)
	// HeartbeatJob extends the lease of a job worker still holds to now+lease. ECONFLICT if
	// the job is no longer running under worker (the lease was lost and reclaimed).
	HeartbeatJob(ctx context.Context, id, worker string, lease time.Duration, now time.Time) error
	// FinishJob records the outcome of a job worker holds. A failed job with attempts left
	// and a non-zero RetryAt goes back to JobQueued with RunAfter = RetryAt. ECONFLICT if the
	// lease was lost.
	FinishJob(ctx context.Context, id, worker string, r JobResult, now time.Time) (*Job, error)
	GetJob(ctx context.Context, id string) (*Job, error)
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)
	// AppendJobLog adds output to a job's log; ReadJobLog returns the log from offset on.
	// Stores may keep only the last LogLimit bytes.
	AppendJobLog(ctx context.Context, id string, p []byte) error
	ReadJobLog(ctx context.Context, id string, offset int64) ([]byte, error)
}

// JobLogLimit is the largest job log a store must keep (older output may be dropped).
const JobLogLimit = 4 << 20

// SignInStore keeps sign-in codes.
type SignInStore interface {
	// PutSignInCode stores c as the only code of c.Email, replacing any earlier one.
	PutSignInCode(ctx context.Context, c *SignInCode) error
	// VerifySignInCode checks a guess against email's current code in one transaction:
	// ENOTFOUND if there is none; EINVALID if it is used or expired at now; otherwise Attempts
	// is incremented and stored first, then ERATELIMITED if Attempts exceeds maxAttempts
	// (even for a right guess), else match(c.HMAC) decides: true marks the code used and
	// returns it, false is EINVALID. Parallel guesses can never compare more than maxAttempts.
	VerifySignInCode(ctx context.Context, email string, now time.Time, maxAttempts int, match func(hmac []byte) bool) (*SignInCode, error)
	// UseToken spends the single-use token id (an MFA token's jti), atomically: of any number
	// of calls with one id, from any number of goroutines or processes, exactly one succeeds
	// and every other is ECONFLICT, for as long as the marker lasts — until expiresAt, the
	// token's own expiry, after which the token is refused anyway. A marker expired at now no
	// longer counts, and any call may purge such markers.
	UseToken(ctx context.Context, id string, expiresAt, now time.Time) error
}

// SessionStore keeps refresh-token sessions and known devices.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	GetSessionByTokenHash(ctx context.Context, tokenHash string) (*Session, error)
	// RotateSession exchanges the session with oldTokenHash for next (same user and family)
	// in one transaction; next takes UserID, FamilyID and AuthTime from the old session.
	// ENOTFOUND for an unknown token; EUNAUTHORIZED if it is revoked or expired at now. A
	// token already rotated is reuse: every session of its family is revoked and the result
	// has Reused set (err is nil).
	RotateSession(ctx context.Context, oldTokenHash string, next *Session, now time.Time) (*RotateResult, error)
	// RevokeSessionFamily revokes every session of a family (logout). Idempotent.
	RevokeSessionFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokeUserSessions revokes every session of a user (sign out everywhere). Idempotent.
	RevokeUserSessions(ctx context.Context, userID string, now time.Time) error
	// RevokeOtherSessions revokes every session of a user except those of family keep (sign
	// out the other sessions; two-factor turned on). Idempotent.
	RevokeOtherSessions(ctx context.Context, userID, keep string, now time.Time) error
	// GetCurrentSession returns the current session of a family — its newest, the one not
	// rotated — whether it is revoked or expired or not; ENOTFOUND when no session has
	// familyID. Every request of an access token reads it (through a cache of at most a
	// second), so it is one indexed read.
	GetCurrentSession(ctx context.Context, familyID string) (*Session, error)
	// SetSessionAuthTime sets AuthTime (a step-up) on the family's current session if that
	// is active at now; ENOTFOUND when the family has no active current session. A rotation
	// racing with it either carries the new AuthTime over or happens first, in which case
	// the new current session gets it.
	SetSessionAuthTime(ctx context.Context, familyID string, authTime, now time.Time) error
	// TouchSession records that the family's current session was used at now from ip: it
	// sets LastSeenAt and IP if the session is signed in at now and LastSeenAt is before now
	// (a late, older touch never moves it back). ENOTFOUND when the family has no signed-in
	// current session. Callers touch at most once a minute per session, not on every request.
	TouchSession(ctx context.Context, familyID, ip string, now time.Time) error
	// ListSessions returns the user's sessions that are active at now, newest first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// TouchDevice records that the user signed in from d at now. It returns true when the
	// device had not been seen for this user before (exactly one concurrent caller sees true).
	TouchDevice(ctx context.Context, d *Device, now time.Time) (isNew bool, err error)
	ListDevices(ctx context.Context, userID string) ([]*Device, error)
}

// AuditStore is the append-only, hash-chained audit log.
type AuditStore interface {
	// AppendAudit assigns e its Seq, PrevHash and Hash (AuditHash) within its stream (ID and
	// Time too when empty; Time is kept at microsecond precision) and stores it, in one
	// transaction, so concurrent appends to one stream still form one chain. e must have
	// Stream and Action. It returns the stored event.
	//
	// It also gives e the next Index of the log's Merkle tree (the tree size before it) and
	// stores the tree hashes that leaf adds (AuditTreeHashes), in the same transaction:
	// concurrent appends from any process get distinct, contiguous indices.
	AppendAudit(ctx context.Context, e *AuditEvent) (*AuditEvent, error)
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)

	// GetAudit returns the event with this id; ENOTFOUND if there is none.
	GetAudit(ctx context.Context, id string) (*AuditEvent, error)
	// ListAuditLog returns up to limit events (0: 100; at most 1000) whose Index is start or
	// more, in Index order. Events not in the tree yet are not listed.
	ListAuditLog(ctx context.Context, start int64, limit int) ([]*AuditEvent, error)
	// AuditTreeSize is the number of leaves of the tree: the events with an Index.
	AuditTreeSize(ctx context.Context) (int64, error)
	// ReadAuditHashes returns the tree's stored hashes at these stored-hash indexes (a
	// tlog.HashReader); ENOTFOUND if one is not stored.
	ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// IndexAudit places the events that have no Index yet (written before the tree existed,
	// or by an older binary) in the tree, oldest first (by Time, Stream, Seq), in transactions
	// serialised with AppendAudit, so several processes may run it at once; it returns the
	// tree size after. Nothing to do is cheap on the SQL stores; on Firestore it reads every
	// event.
	IndexAudit(ctx context.Context) (int64, error)
}

// StateStore keeps Terraform state, one blob per workspace.
type StateStore interface {
	GetState(ctx context.Context, workspace string) (*StateBlob, error)
	// PutState stores b.Data for b.Workspace and returns the new version. If b.Version is
	// non-zero it must equal the stored version (ECONFLICT otherwise). EINVALID if the data is
	// larger than MaxStateSize.
	PutState(ctx context.Context, b *StateBlob) (int64, error)
	DeleteState(ctx context.Context, workspace string) error
}

// MaxStateSize is the largest Terraform state a store must keep for one workspace.
const MaxStateSize = 8 << 20
