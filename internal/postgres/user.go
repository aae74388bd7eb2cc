package postgres

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// userColumns lists the columns of users with the fields of u they hold.
func userColumns(u *launchpad.User) columns {
	sub, use, ctl, mfa := &u.Subscription, &u.Usage, &u.Control, &u.MFA
	return columns{
		{"id", &u.ID},
		{"email", &u.Email},
		{"plan_name", &u.Plan},
		{"openrouter_key", &u.OpenRouterKey},
		{"openrouter_key_hash", &u.OpenRouterKeyHash},
		{"byok_key", &u.BYOKKey},

		{"sub_customer_id", &sub.StripeCustomerID},
		{"sub_subscription_id", &sub.StripeSubscriptionID},
		{"sub_status", &sub.Status},
		{"sub_price_id", &sub.PriceID},
		{"sub_plan", &sub.Plan},
		{"sub_current_period_start", ts(&sub.CurrentPeriodStart)},
		{"sub_current_period_end", ts(&sub.CurrentPeriodEnd)},
		{"sub_cancel_at_period_end", &sub.CancelAtPeriodEnd},
		{"sub_canceled_at", ts(&sub.CanceledAt)},
		{"sub_past_due_since", ts(&sub.PastDueSince)},
		{"sub_event_created", ts(&sub.EventCreated)},
		{"sub_metadata", &sub.Metadata},

		{"usage_cycle_start", ts(&use.CycleStart)},
		{"usage_cycle_end", ts(&use.CycleEnd)},
		{"usage_machine_seconds", &use.MachineSeconds},
		{"usage_metered_until", ts(&use.MeteredUntil)},
		{"usage_running", &use.Running},
		{"usage_running_since", ts(&use.RunningSince)},
		{"usage_capped_at", ts(&use.CappedAt)},
		{"usage_spend_exhausted_at", ts(&use.SpendExhaustedAt)},
		{"usage_spend_warned_at", ts(&use.SpendWarnedAt)},
		{"usage_spend_reading_usd", &use.SpendReadingUSD},
		{"usage_spend_reading_key", &use.SpendReadingKey},
		{"usage_days", &usageDays{&use.Days}},

		{"control_key_rotation_generation", &ctl.KeyRotationGeneration},
		{"control_rebuild_generation", &ctl.RebuildGeneration},
		{"control_reset_generation", &ctl.ResetGeneration},
		{"control_leak_response_key_id", &ctl.LeakResponseKeyID},
		{"control_suspended_at", ts(&ctl.SuspendedAt)},
		{"control_erasure_requested_at", ts(&ctl.ErasureRequestedAt)},
		{"control_erasure_step", &ctl.ErasureStep},

		{"mfa_sealed_secret", &mfa.SealedSecret},
		{"mfa_confirmed", &mfa.Confirmed},
		{"mfa_last_step", &mfa.LastStep},
		{"mfa_recovery_codes", &mfa.RecoveryCodes},
		{"mfa_enrolled_at", ts(&mfa.EnrolledAt)},
		{"mfa_reenrol_required", &mfa.ReenrolRequired},

		{"created_at", ts(&u.CreatedAt)},
		{"updated_at", ts(&u.UpdatedAt)},
	}
}

// userTable is the users table.
var userTable = table[launchpad.User]{
	name: "users", what: "user", keyField: "ID",
	key:  func(u *launchpad.User) string { return u.ID },
	cols: userColumns,
	stamp: func(u *launchpad.User, now time.Time, create bool) {
		stampTimes(&u.CreatedAt, &u.UpdatedAt, now, create)
	},
	storable: storableUser,
	conflict: userConflict,
}

// CreateUser stores a new user. ECONFLICT if the id, or a non-empty email, is taken (the
// primary key and the partial unique index on email decide, also between concurrent callers).
func (db *DB) CreateUser(ctx context.Context, u *launchpad.User) error {
	return userTable.create(ctx, db, u)
}

// GetUser returns the user with id, or ENOTFOUND.
func (db *DB) GetUser(ctx context.Context, id string) (*launchpad.User, error) {
	return userTable.get(ctx, db, id)
}

// GetUserByEmail returns the user whose (normalised) email is email, or ENOTFOUND.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (*launchpad.User, error) {
	return firstUser(ctx, db, `WHERE email = $1 AND email <> ''`, email,
		contract.NoUserWithEmail(launchpad.Clip(email, 200)))
}

// GetUserByStripeCustomer returns the user whose subscription belongs to the Stripe customer,
// or ENOTFOUND. Should two users name one customer, the one with the lowest id is returned.
func (db *DB) GetUserByStripeCustomer(ctx context.Context, customerID string) (*launchpad.User, error) {
	return firstUser(ctx, db, `WHERE sub_customer_id = $1 AND sub_customer_id <> '' ORDER BY id LIMIT 1`, customerID,
		contract.NoUserWithCustomer(launchpad.Clip(customerID, 200)))
}

// firstUser returns the first user a query selects, or missing.
func firstUser(ctx context.Context, db *DB, rest string, arg any, missing error) (*launchpad.User, error) {
	found, err := userTable.list(ctx, db, rest, arg)
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, missing
	}
	return found[0], nil
}

// UpdateUser applies fn to the stored user, in the transaction every Update* method runs in
// (see table.update: READ COMMITTED, the row locked first).
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	return userTable.update(ctx, db, id, fn)
}

// ListUsers returns up to limit users with ID > afterID, ordered by ID (limit 0 means 100;
// at most 1000).
func (db *DB) ListUsers(ctx context.Context, afterID string, limit int) ([]*launchpad.User, error) {
	return userTable.list(ctx, db, `WHERE id > $1 ORDER BY id LIMIT $2`, afterID, contract.ListLimit(limit))
}

// storableUser returns a copy of u as it is written: metadata checked to be UTF-8 and never
// NULL, recovery codes never NULL.
func storableUser(u *launchpad.User) (*launchpad.User, error) {
	c := *u
	var err error
	if c.Subscription.Metadata, err = textMap("subscription metadata", u.Subscription.Metadata); err != nil {
		return nil, err
	}
	if c.MFA.RecoveryCodes == nil {
		c.MFA.RecoveryCodes = []string{}
	}
	return &c, nil
}

// userConflict names what a unique violation on users is about.
func userConflict(err error, u *launchpad.User) error {
	switch violated(err) {
	case "users_pkey":
		return launchpad.Errorf(launchpad.ECONFLICT, "user %q already exists", launchpad.Clip(u.ID, 200))
	case "users_email":
		return contract.EmailTaken(launchpad.Clip(u.Email, 200))
	}
	return err
}
