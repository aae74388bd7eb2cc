package launchpad

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"
)

// PlatformStream is the audit stream of events that belong to no single user (secret
// rotation, plan changes made by operators).
const PlatformStream = "platform"

// Audit actions. The list grows with the product; an action is a dotted verb.
const (
	AuditSignIn          = "auth.sign_in"
	AuditSignInFailed    = "auth.sign_in_failed" // a burst of failed attempts
	AuditLockout         = "auth.lockout"
	AuditNewDevice       = "auth.new_device"
	AuditRefreshReuse    = "auth.refresh_reuse"
	AuditLogout          = "auth.logout"
	AuditMFAEnrolled     = "auth.mfa_enrolled"
	AuditMFAConfirmed    = "auth.mfa_confirmed"
	AuditMFARecoveryUsed = "auth.mfa_recovery_used"
	AuditKeyMinted       = "key.minted"
	AuditKeyRotated      = "key.rotated"
	AuditKeyRevoked      = "key.revoked"
	AuditKeyLimitChanged = "key.limit_changed"
	AuditSpendExhausted  = "key.spend_exhausted"
	AuditPlanChanged     = "plan.changed"
	AuditPlanUnknown     = "plan.unknown_price"
	AuditApplyStarted    = "apply.started"
	AuditApplyFinished   = "apply.finished"
	AuditApplyFailed     = "apply.failed"
	AuditHourCapReached  = "usage.hour_cap_reached"
	AuditCycleReset      = "usage.cycle_reset"
	AuditOperatorExec    = "operator.exec"
	AuditSecretRotated   = "platform.secret_rotated"
	AuditTenantCreated   = "tenant.created"
	AuditTenantUpdated   = "tenant.updated"
	AuditTenantRebuilt   = "tenant.rebuild"
	AuditTenantDestroyed = "tenant.destroyed"
	// AuditTenantSuspended: the subscription is past due beyond the grace period; the
	// tenant's machine was stopped and is kept stopped until it is paid.
	AuditTenantSuspended = "tenant.suspended"
	// AuditTenantResumed: the subscription was paid again; the machine was started (unless
	// the hour cap still holds it).
	AuditTenantResumed = "tenant.resumed"
	// AuditHourCapLifted: the plan's hour cap was raised above the hours used in this cycle;
	// the machine the cap had stopped is started again.
	AuditHourCapLifted = "usage.hour_cap_lifted"
	// AuditSpendRestored: a sub-key seen exhausted in this cycle has spend left again (its
	// limit was raised, or OpenRouter's limit period reset).
	AuditSpendRestored = "key.spend_restored"
	// AuditTenantReset: the tenant was given a new empty volume and a new machine; the old
	// volume is kept as a snapshot (its id and retention in the details).
	AuditTenantReset = "tenant.reset"
	// AuditMFAReenrolRequired: after a leaked PLATFORM_SECRET, the user's TOTP factor was
	// marked for re-enrolment (rotate-secret --rotate-keys); details say whether the user
	// was mailed.
	AuditMFAReenrolRequired = "auth.mfa_reenrol_required"
	// AuditLeakResponse: rotate-secret --rotate-keys finished a pass (platform stream):
	// counts of keys rotated and factors marked.
	AuditLeakResponse = "platform.leak_response"
	// Fleet rollouts, in PlatformStream: proposed, started, paused (by an operator or by
	// itself past max_failures), resumed, aborted, rolled back, completed.
	AuditRolloutProposed   = "rollout.proposed"
	AuditRolloutStarted    = "rollout.started"
	AuditRolloutPaused     = "rollout.paused"
	AuditRolloutResumed    = "rollout.resumed"
	AuditRolloutAborted    = "rollout.aborted"
	AuditRolloutRolledBack = "rollout.rolled_back"
	AuditRolloutCompleted  = "rollout.completed"
	// AuditRolloutTenant is a rollout's step for one tenant, in its user's stream: its apply
	// was enqueued, it is healthy on the new version, it failed, or it was rolled back.
	AuditRolloutTenant = "rollout.tenant"
)

// Audit actors: who caused an event. Every writer of the log uses these, and the dashboard
// reads them back with ParseActor, so an actor is never spelt two ways.
const (
	// ActorSystem is Launchpad itself: the apply runner, the meter, sign-in protections.
	ActorSystem = "system"
	// ActorStripe is a verified Stripe webhook event.
	ActorStripe = "stripe"
	// ActorTerraform is a change made through the provider by whoever runs terraform apply.
	ActorTerraform = "terraform"
	// ActorAdminToken is a request made with the control plane's admin token that named no
	// operator.
	ActorAdminToken = operatorPrefix + "admin-token"

	userPrefix     = "user:"
	operatorPrefix = "operator:"
)

// UserActor is the actor of what a signed-in user did themselves.
func UserActor(userID string) string { return userPrefix + userID }

// OperatorActor is the actor of what a named operator did (exec, an admin action, a secret
// rotation); name must pass ValidateOperatorName.
func OperatorActor(name string) string { return operatorPrefix + name }

// ActorKind is what kind of party an actor string names.
type ActorKind string

// Actor kinds.
const (
	ActorKindUser      ActorKind = "user"
	ActorKindOperator  ActorKind = "operator"
	ActorKindStripe    ActorKind = "stripe"
	ActorKindTerraform ActorKind = "terraform"
	ActorKindSystem    ActorKind = "system"
)

// ParseActor splits an actor string into its kind and name (the user id or the operator's
// name; empty for the others). An empty or unknown actor is the system's.
func ParseActor(actor string) (ActorKind, string) {
	switch {
	case strings.HasPrefix(actor, userPrefix):
		return ActorKindUser, strings.TrimPrefix(actor, userPrefix)
	case strings.HasPrefix(actor, operatorPrefix):
		return ActorKindOperator, strings.TrimPrefix(actor, operatorPrefix)
	case actor == ActorStripe:
		return ActorKindStripe, ""
	case actor == ActorTerraform:
		return ActorKindTerraform, ""
	default:
		return ActorKindSystem, ""
	}
}

// operatorNamePattern is an operator's name as it appears in the actor "operator:<name>": a
// login or an email-like handle, nothing that could pass for another actor.
var operatorNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidateOperatorName reports whether name can be an operator's name.
func ValidateOperatorName(name string) error {
	if !operatorNamePattern.MatchString(name) {
		return Errorf(EINVALID, "operator name %q is not valid: use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit (for example your login)", Clip(name, 64))
	}
	return nil
}

// AuditEvent is one entry of the append-only audit log. Events form one hash chain per
// Stream (a user id, or PlatformStream): each carries the hash of the previous event of its
// stream, so altering, removing or reordering a stored event breaks VerifyChain.
//
// Details must never hold a secret; they are shown to the user in the audit panel.
type AuditEvent struct {
	ID      string
	Stream  string
	Seq     int64 // 1-based position in the stream, assigned by the store
	Time    time.Time
	Actor   string // UserActor, OperatorActor, ActorSystem, ActorStripe or ActorTerraform
	Action  string
	Target  string // what was acted on: an app name, a key hash, a job id…
	Details map[string]string

	PrevHash string // Hash of event Seq-1 of the same stream; "" for Seq 1
	Hash     string // AuditHash of this event

	// Index is the event's 0-based position in the log's Merkle tree across all streams
	// (audittree.go), assigned by the store; NotIndexed until the event is in the tree. It is
	// not part of AuditHash: the tree position is proven by the tree itself.
	Index int64

	// Pseudonymised is set when the event's user was erased: its identifiers were replaced by
	// keyed hashes (PseudonymiseEvent), so its fields no longer hash to Hash; the chain and
	// the tree check it by its Hash instead (AuditDigest).
	Pseudonymised bool

	// Trimmed is set when the audit retention archived the event and emptied its content
	// (audittrim.go); like a pseudonymised event, it is checked by its Hash (AuditDigest).
	Trimmed bool
}

// AuditFilter selects audit events. With Stream set, AfterSeq pages through one stream in
// order; without it, events of all streams are returned by time.
type AuditFilter struct {
	Stream   string
	AfterSeq int64
	Since    time.Time
	Limit    int  // 0 means a store default (100); stores cap it at 1000
	Newest   bool // newest first
}

// AuditHash is the SHA-256, hex, of a canonical encoding of every field of e but Hash. Time is
// hashed in UTC at nanosecond precision truncated to microseconds, which every store keeps.
func AuditHash(e *AuditEvent) string {
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	details := make([][2]string, 0, len(keys))
	for _, k := range keys {
		details = append(details, [2]string{k, e.Details[k]})
	}
	canonical, _ := json.Marshal([]any{
		"launchpad-audit-v1", e.ID, e.Stream, e.Seq,
		e.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		e.Actor, e.Action, e.Target, details, e.PrevHash,
	})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// VerifyChain checks consecutive events of one stream, in Seq order. The first event must be
// Seq 1 with an empty PrevHash, unless prev (the event before events[0]) is given. It returns
// an EINVALID error naming the first event that does not verify.
func VerifyChain(prev *AuditEvent, events []*AuditEvent) error {
	for i, e := range events {
		wantSeq, wantPrev := int64(1), ""
		if i > 0 {
			wantSeq, wantPrev = events[i-1].Seq+1, events[i-1].Hash
		} else if prev != nil {
			wantSeq, wantPrev = prev.Seq+1, prev.Hash
		}
		switch {
		case i == 0 && prev != nil && e.Stream != prev.Stream:
			return Errorf(EINVALID, "audit event %s belongs to stream %q, not %q (the stream of the previous event %s)", e.ID, e.Stream, prev.Stream, prev.ID)
		case i > 0 && e.Stream != events[0].Stream:
			return Errorf(EINVALID, "audit event %s belongs to stream %q, not %q", e.ID, e.Stream, events[0].Stream)
		case e.Seq != wantSeq:
			return Errorf(EINVALID, "audit stream %q: event %s has seq %d, expected %d (an event is missing or reordered)", e.Stream, e.ID, e.Seq, wantSeq)
		case e.PrevHash != wantPrev:
			return Errorf(EINVALID, "audit stream %q: event %s (seq %d) does not link to the previous event", e.Stream, e.ID, e.Seq)
		case e.Pseudonymised && !strings.HasPrefix(e.Stream, ErasedStreamPrefix):
			return Errorf(EINVALID, "audit stream %q: event %s (seq %d) is marked pseudonymised outside an erased stream", e.Stream, e.ID, e.Seq)
		case AuditDigest(e) != e.Hash:
			return Errorf(EINVALID, "audit stream %q: event %s (seq %d) was altered after it was written", e.Stream, e.ID, e.Seq)
		}
	}
	return nil
}
