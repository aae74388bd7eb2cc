package launchpad

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Account deletion. A user who leaves is erased: the tenant torn down, the sub-key revoked,
// the subscription cancelled, every session ended, and every stored record that names them
// deleted (EraseUser). The audit log is not deleted — its integrity is what proves the rest —
// but the user's events are pseudonymised (PseudonymiseAudit): their identifiers are replaced
// by keyed hashes, and each keeps the Hash it was written with, which the next event of its
// chain and the log's Merkle tree already pin.

// Audit actions of an account deletion.
const (
	// AuditAccountDeletionRequested: the user (or an operator) asked for the account to be
	// deleted; the erasure runs in the background from here.
	AuditAccountDeletionRequested = "account.deletion_requested"
	// AuditAccountErased: the user's personal data is gone (platform stream; the target is the
	// pseudonym their audit events now carry, never the user id).
	AuditAccountErased = "account.erased"
)

// JobErasure is the kind of the job that carries out one account deletion (ErasureRequest in
// its payload, the user id as its key, so it never runs beside an apply of the same tenant).
const JobErasure = "erasure"

// ErasedStreamPrefix starts the stream name of a pseudonymised user's audit events; no user
// id contains a colon (ValidateUserID), so an erased stream is never mistaken for a live one.
const ErasedStreamPrefix = "erased:"

// UserErasure names what EraseUser deletes: the user's record and every record keyed by the
// user id, the sign-in code of Email, and the payload of every Stripe event that mentions the
// user id, Email or StripeCustomerID.
type UserErasure struct {
	UserID           string
	Email            string
	StripeCustomerID string
	// KeepJobID is a job of the user not to delete: the erasure job that calls EraseUser, so
	// that it can still record its own outcome.
	KeepJobID string
}

// Mentions returns what a stored JSON payload that names the user holds: the user id, email
// and Stripe customer as JSON strings, quotes included, so that "u1" does not match "u10".
func (e UserErasure) Mentions() []string {
	var out []string
	for _, s := range []string{e.UserID, e.Email, e.StripeCustomerID} {
		if s != "" {
			out = append(out, JSONString(s))
		}
	}
	return out
}

// JSONString is s as a JSON string literal.
func JSONString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// ErasureStore is what an account deletion asks of a store. Both methods are idempotent, so a
// deletion interrupted by a crash is simply run again.
type ErasureStore interface {
	// EraseUser deletes, in one transaction, the user's record (and with it every sealed
	// credential), their key material (UserKeyStore), sessions, devices, the sign-in code of
	// e.Email, tenant and sub-key records, jobs (but e.KeepJobID) with their logs, and the
	// Terraform state of the user's workspace; and empties the payload of every Stripe event
	// that mentions e.Mentions() (the event id is kept, so a redelivery is still recognised).
	// Deleted means unreadable in the store's files: the SQLite store overwrites freed pages
	// and truncates its write-ahead log. Erasing a user who is already gone succeeds.
	EraseUser(ctx context.Context, e UserErasure) error
	// PseudonymiseAudit rewrites every event of stream as fn returns it, under the stream name
	// fn gives (which must start with ErasedStreamPrefix), each marked Pseudonymised and
	// keeping its Seq, Time, Action, PrevHash, Hash and Index. fn may change only Stream,
	// Actor, Target and Details. It returns how many events it rewrote: 0 when the stream has
	// no events (already pseudonymised, or never written).
	PseudonymiseAudit(ctx context.Context, stream string, fn func(*AuditEvent)) (int, error)
	// PseudonymiseJob replaces the Key and Payload of job id, a running one's included (the
	// lock its key holds moves to the new key, so finishing it works as before), so that the
	// record an erasure keeps of itself names the user only by pseudonym. ENOTFOUND if there
	// is no such job.
	PseudonymiseJob(ctx context.Context, id, key string, payload []byte) error
}

// PseudonymiseEvent replaces, in e, every identifier of the user (their id, in the stream, the
// actor, the target or a detail; their email anywhere; and the values of the details that
// identify a person or a device) with pseudonym(value), a keyed hash. It marks e Pseudonymised
// and leaves Hash alone: the verifier checks a pseudonymised event by the Hash the chain and
// the tree pin (see AuditDigest).
func PseudonymiseEvent(e *AuditEvent, userID, email string, pseudonym func(string) string) {
	e.Stream = ErasedStreamPrefix + pseudonym(userID)
	mentions := func(v string) bool {
		return strings.Contains(v, userID) || (email != "" && strings.Contains(strings.ToLower(v), email))
	}
	if kind, _ := ParseActor(e.Actor); kind == ActorKindUser && mentions(e.Actor) {
		e.Actor = userPrefix + pseudonym(e.Actor)
	}
	if e.Target != "" {
		e.Target = pseudonym(e.Target)
	}
	for k, v := range e.Details {
		if personalDetail(k) || mentions(v) {
			e.Details[k] = pseudonym(v)
		}
	}
	e.Pseudonymised = true
}

// personalDetail reports whether an audit detail's key names a value that identifies a person,
// a device or a place (whatever its value).
func personalDetail(key string) bool {
	k := strings.ToLower(key)
	for _, word := range []string{"email", "ip", "user", "agent", "device", "fingerprint", "customer", "subscription", "app", "machine", "volume", "snapshot", "key", "hash", "name"} {
		if strings.Contains(k, word) {
			return true
		}
	}
	return false
}

// AuditDigest is the hash of e that its chain and the tree use: AuditHash recomputed from its
// fields, or, for a pseudonymised event whose fields no longer hash to it, the Hash it was
// written with; so is a trimmed event, whose content is gone.
func AuditDigest(e *AuditEvent) string {
	if e.Pseudonymised || e.Trimmed {
		return e.Hash
	}
	return AuditHash(e)
}

// ErasureRequest is the payload of a JobErasure job.
type ErasureRequest struct {
	UserID string `json:"user_id"`
	// Actor asked for it: UserActor(UserID) or an operator.
	Actor       string    `json:"actor"`
	RequestedAt time.Time `json:"requested_at"`
	// Pseudonymised marks the request of an erasure that has finished: UserID and Actor are
	// pseudonyms now, and a run of it has nothing left to do.
	Pseudonymised bool `json:"pseudonymised,omitempty"`
}

// StripeCustomerJobKey is the job key of a Stripe customer's events (one customer's events run
// one at a time); an account deletion deletes those jobs too, as they name the customer.
func StripeCustomerJobKey(customer string) string { return "stripe:" + customer }
