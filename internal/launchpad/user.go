package launchpad

import (
	"context"
	"regexp"
	"time"
)

// TrialPlan is the plan name of a user who has not paid (yet).
const TrialPlan = "trial"

// User is one person who signs in: in Firestore, the launchpad_users/{uid} document the host's
// web app shares.
//
// Credentials are held only sealed (see internal/envelope): OpenRouterKey, BYOKKey and
// MFA.SealedSecret are opaque strings produced by envelope.Keyring.Seal with the user id as
// additional data, so a value copied to another user's record does not open.
type User struct {
	ID    string
	Email string // canonical (CanonicalEmail); empty for users created by Terraform alone

	// Plan is the name of the user's launchpad_plan, TrialPlan when unpaid.
	Plan string

	// OpenRouterKey is the sealed plaintext of the user's current OpenRouter sub-key and
	// OpenRouterKeyHash its hash (the OpenRouter key id, safe to show).
	OpenRouterKey     string
	OpenRouterKeyHash string

	// BYOKKey is the sealed bring-your-own model key, if the user stored one.
	BYOKKey string

	Subscription Subscription
	Usage        Usage
	// Control is what the control plane has asked of the user's tenant beyond its plan.
	Control TenantControl
	MFA     MFA

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SealedFields returns pointers to every sealed credential of u that is set, so code that
// re-seals (rotate-secret) or audits them handles all of them and only them.
func (u *User) SealedFields() []*string {
	var out []*string
	for _, p := range []*string{&u.OpenRouterKey, &u.BYOKKey, &u.MFA.SealedSecret} {
		if *p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Usage is metered per billing cycle, so the plan's hour cap resets when Stripe starts a new
// period.
type Usage struct {
	CycleStart time.Time
	CycleEnd   time.Time
	// MachineSeconds is the tenant machines' running time in the cycle.
	MachineSeconds float64
	// MeteredUntil is the time up to which machine events have been counted; metering is
	// idempotent because it only counts events after it.
	MeteredUntil time.Time
	// Running and RunningSince carry an open start event across metering passes.
	Running      bool
	RunningSince time.Time
	// CappedAt is set when the hour cap stopped the machine in this cycle.
	CappedAt time.Time
	// SpendExhaustedAt is set when the sub-key was first seen exhausted in this cycle.
	SpendExhaustedAt time.Time
	// SpendWarnedAt is set when the 80% warning of the spend limit was sent in this cycle (the
	// hours' warning needs no mark: hours only grow within a cycle, so it is sent from the
	// stored previous figure).
	SpendWarnedAt time.Time
	// SpendReadingUSD is the sub-key's lifetime usage as the meter last read it, and
	// SpendReadingKey that key's hash: each new reading's difference from it is the spend
	// of the day it was read. They outlive the cycle, so a new cycle's first reading counts
	// only what was spent since.
	SpendReadingUSD float64
	SpendReadingKey string
	// Days are the cycle's figures per UTC day, oldest first (at most MaxUsageDays).
	Days []UsageDay
}

// MaxUsageDays bounds Usage.Days: more than any billing cycle has days.
const MaxUsageDays = 62

// UsageDay is one UTC day of a cycle's usage. MachineSeconds are the machine's running
// seconds within the day; SpendUSD is the model spend the meter read on that day (the
// difference between successive readings of the key's usage, attributed to the day of the
// later reading, so spend made late one day may be counted on the next).
type UsageDay struct {
	Day            time.Time // 00:00 UTC
	MachineSeconds float64
	SpendUSD       float64
}

// Hours returns the metered machine hours.
func (u Usage) Hours() float64 { return u.MachineSeconds / 3600 }

// NewCycle returns the usage of a new cycle [start, end): nothing counted yet, only the key's
// last spend reading carried, so the new cycle's first reading counts what was spent since.
func (u Usage) NewCycle(start, end time.Time) Usage {
	return Usage{CycleStart: start, CycleEnd: end, SpendReadingUSD: u.SpendReadingUSD, SpendReadingKey: u.SpendReadingKey}
}

// UsageDayOf is the UTC day holding t, as UsageDay.Day.
func UsageDayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// AddToDay adds seconds and spend to the day holding t, keeping Days in order and at most
// MaxUsageDays long (the oldest days go first).
func (u *Usage) AddToDay(t time.Time, seconds, spendUSD float64) {
	day := UsageDayOf(t)
	i := len(u.Days)
	for i > 0 && u.Days[i-1].Day.After(day) {
		i--
	}
	if i == 0 || !u.Days[i-1].Day.Equal(day) {
		u.Days = append(u.Days, UsageDay{})
		copy(u.Days[i+1:], u.Days[i:])
		u.Days[i] = UsageDay{Day: day}
		i++
	}
	u.Days[i-1].MachineSeconds += seconds
	u.Days[i-1].SpendUSD += spendUSD
	if n := len(u.Days); n > MaxUsageDays {
		u.Days = append(u.Days[:0:0], u.Days[n-MaxUsageDays:]...)
	}
}

// TenantControl is what operators, the user and the control plane have asked of the user's
// tenant beyond its plan. The generations only ever grow: the control plane renders them
// into the tenant's workspace, and bumping one makes the next apply act on it.
type TenantControl struct {
	// KeyRotationGeneration is launchpad_subkey.rotation_generation: bumping it mints a new
	// sub-key, delivers it to the tenant and only then revokes the old one.
	KeyRotationGeneration int64
	// RebuildGeneration is launchpad_tenant.rebuild_generation: bumping it replaces the
	// machine with one from a clean image, on the same volume.
	RebuildGeneration int64
	// ResetGeneration is launchpad_tenant.reset_generation: bumping it snapshots the
	// tenant's volume (kept for the volume retention), gives the tenant a new empty volume
	// and a new machine from a clean image.
	ResetGeneration int64
	// LeakResponseKeyID is the platform key id (of the new PLATFORM_SECRET) under which
	// `rotate-secret --rotate-keys` started its leak response for this user: it bumped
	// KeyRotationGeneration and marked the TOTP factor in the same write. A run that finds it
	// equal to its own key id only finishes what is left (resuming after a crash); a later
	// leak's run, under another key id, starts again. Empty when no leak response ran.
	LeakResponseKeyID string
	// SuspendedAt is set while the tenant's machine is held stopped because the
	// subscription is past due beyond the grace period; zero otherwise. Not reset by a new
	// billing cycle: only a payment ends it.
	SuspendedAt time.Time
	// ErasureRequestedAt is set when the account's deletion was asked for (DELETE /api/me or
	// an operator): from then on the tenant's desired state is destroyed, and the erasure job
	// works through its steps (ErasureStep is the last one finished) until the record is gone.
	ErasureRequestedAt time.Time
	ErasureStep        string
}

// MFA is the user's TOTP second factor.
type MFA struct {
	// SealedSecret is the TOTP secret, sealed; empty when no factor is enrolled.
	SealedSecret string
	Confirmed    bool
	// LastStep is the last TOTP time step accepted; a code for it or an earlier step is a
	// replay and is refused.
	LastStep int64
	// RecoveryCodes holds the hashes of single-use recovery codes; a used one is removed.
	RecoveryCodes []string
	EnrolledAt    time.Time
	// ReenrolRequired is set by `rotate-secret --rotate-keys` after a leaked PLATFORM_SECRET:
	// the TOTP secret was sealed under the leaked key, so it is no longer accepted as the
	// second factor (a recovery code is) and the user may enrol a new factor over it. A new
	// enrolment clears it.
	ReenrolRequired bool
}

// Enabled reports whether sign-in must pass the second factor.
func (m MFA) Enabled() bool { return m.SealedSecret != "" && m.Confirmed }

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// ValidateUserID reports whether id can be a user id: 1-128 letters, digits, '_' and '-',
// starting with a letter or digit. Ids reach app names, document paths and file names, so
// nothing else is accepted.
func ValidateUserID(id string) error {
	if !userIDPattern.MatchString(id) {
		return Errorf(EINVALID, "user id %q is not valid: use 1-128 letters, digits, '_' and '-', starting with a letter or digit", Clip(id, 60))
	}
	if _, err := UID8(id); err != nil {
		return err
	}
	return nil
}

// EnsureUserByID returns the user with id, creating a bare trial user (no email) when there is
// none: the record that a key sealed by Terraform for a user who never signed in lives in.
func EnsureUserByID(ctx context.Context, st UserStore, id string) (u *User, created bool, err error) {
	return ensureUser(ctx, st, func(ctx context.Context) (*User, error) { return st.GetUser(ctx, id) },
		&User{ID: id, Plan: TrialPlan})
}

// EnsureUserByEmail returns the user of address email (as typed: it is canonicalised here),
// creating a trial user with a new id and the canonical address when there is none (a first
// sign-in, or a checkout by someone who never signed in).
//
// Errors: EINVALID when the address is not one CanonicalEmail accepts.
func EnsureUserByEmail(ctx context.Context, st UserStore, email string) (u *User, created bool, err error) {
	canonical, err := CanonicalEmail(email)
	if err != nil {
		return nil, false, err
	}
	return ensureUser(ctx, st, func(ctx context.Context) (*User, error) { return FindUserByEmail(ctx, st, email) },
		&User{ID: NewID(20), Email: canonical, Plan: TrialPlan})
}

// FindUserByEmail finds the user of address email (as typed): by its canonical form, then —
// for accounts stored before canonical emails and not yet rewritten by the `emails --migrate`
// command — by LegacyEmail. The canonical form wins, so a look-alike never reaches another
// account than the one its canonical address owns.
//
// Errors: EINVALID when the address is not one CanonicalEmail accepts; ENOTFOUND.
func FindUserByEmail(ctx context.Context, st UserStore, email string) (*User, error) {
	canonical, err := CanonicalEmail(email)
	if err != nil {
		return nil, err
	}
	u, err := st.GetUserByEmail(ctx, canonical)
	if legacy := LegacyEmail(email); IsNotFound(err) && legacy != canonical {
		return st.GetUserByEmail(ctx, legacy)
	}
	return u, err
}

// ensureUser finds a user or creates fresh; when a concurrent creator wins (ECONFLICT), the
// user it created is found and returned, so every caller ends with the same record.
func ensureUser(ctx context.Context, st UserStore, find func(context.Context) (*User, error), fresh *User) (*User, bool, error) {
	for range 3 {
		u, err := find(ctx)
		if err == nil || !IsNotFound(err) {
			return u, false, err
		}
		switch err := st.CreateUser(ctx, fresh); {
		case err == nil:
			u, err := st.GetUser(ctx, fresh.ID)
			return u, err == nil, err
		case !IsConflict(err):
			return nil, false, err
		}
	}
	return nil, false, Errorf(ECONFLICT, "user %s was being created and deleted concurrently; try again", Clip(fresh.ID+fresh.Email, 80))
}
