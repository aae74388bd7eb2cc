package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// userColumns lists the users table's columns for u, whose nested records are the JSON
// documents in docs. stripe_customer_id is written from the subscription, for lookups by
// customer, and read back with the subscription document.
func userColumns(u *launchpad.User, docs *userDocs) columns {
	return columns{
		{"id", u.ID, &u.ID},
		{"email", u.Email, &u.Email},
		{"plan_name", u.Plan, &u.Plan},
		{"openrouter_key", u.OpenRouterKey, &u.OpenRouterKey},
		{"openrouter_key_hash", u.OpenRouterKeyHash, &u.OpenRouterKeyHash},
		{"byok_key", u.BYOKKey, &u.BYOKKey},
		{"subscription", docs.subscription, &docs.subscription},
		{"usage_doc", docs.usage, &docs.usage},
		{"mfa_sealed_secret", u.MFA.SealedSecret, &u.MFA.SealedSecret},
		{"mfa", docs.mfa, &docs.mfa},
		{"created_at", timeArg(u.CreatedAt), scanTime(&u.CreatedAt)},
		{"updated_at", timeArg(u.UpdatedAt), scanTime(&u.UpdatedAt)},
		{"control_doc", docs.control, &docs.control},
		{"stripe_customer_id", u.Subscription.StripeCustomerID, nil},
	}
}

// userDocs are a user's nested records as they are stored: JSON documents.
type userDocs struct {
	subscription, usage, mfa, control string
}

// userTable is the users table.
var userTable = table[launchpad.User]{
	name: "users", what: "user", keyColumn: "id", keyField: "ID",
	key:      func(u *launchpad.User) string { return u.ID },
	written:  userRow,
	read:     scanUser,
	selects:  userColumns(&launchpad.User{}, &userDocs{}).selectFrom("users"),
	times:    func(u *launchpad.User) (*time.Time, *time.Time) { return &u.CreatedAt, &u.UpdatedAt },
	conflict: userConflict,
}

// CreateUser stores a new user. ECONFLICT if the id, or a non-empty email, is taken.
func (db *DB) CreateUser(ctx context.Context, u *launchpad.User) error {
	return userTable.create(ctx, db, u)
}

// GetUser returns the user with id, or ENOTFOUND.
func (db *DB) GetUser(ctx context.Context, id string) (*launchpad.User, error) {
	return userTable.get(ctx, db, id)
}

// GetUserByEmail returns the user whose (normalised) email is email, or ENOTFOUND.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (*launchpad.User, error) {
	return userTable.first(ctx, db, `email = ? AND email <> ''`, email,
		contract.NoUserWithEmail(email))
}

// GetUserByStripeCustomer returns the user whose subscription belongs to the Stripe customer,
// or ENOTFOUND. Should two users name one customer, the one with the lowest id is returned.
func (db *DB) GetUserByStripeCustomer(ctx context.Context, customerID string) (*launchpad.User, error) {
	return userTable.first(ctx, db, `stripe_customer_id = ? AND stripe_customer_id <> '' ORDER BY id LIMIT 1`, customerID,
		contract.NoUserWithCustomer(customerID))
}

// UpdateUser applies fn to the stored user in one write transaction.
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	return userTable.update(ctx, db, id, fn)
}

// ListUsers returns up to limit users with ID > afterID, ordered by ID (limit 0 means 100;
// at most 1000).
func (db *DB) ListUsers(ctx context.Context, afterID string, limit int) ([]*launchpad.User, error) {
	return userTable.list(ctx, db, `WHERE id > ? ORDER BY id LIMIT ?`, afterID, contract.ListLimit(limit))
}

func scanUser(row scanner) (*launchpad.User, error) {
	var (
		u    launchpad.User
		docs userDocs
	)
	if err := row.Scan(userColumns(&u, &docs).dests()...); err != nil {
		return nil, err
	}
	if err := decodeSubscription(docs.subscription, &u.Subscription); err != nil {
		return nil, err
	}
	if err := decodeUsage(docs.usage, &u.Usage); err != nil {
		return nil, err
	}
	if err := decodeMFA(docs.mfa, &u.MFA); err != nil {
		return nil, err
	}
	if err := decodeControl(docs.control, &u.Control); err != nil {
		return nil, err
	}
	return &u, nil
}

// encodeUserDocs returns u's nested records as they are stored.
func encodeUserDocs(u *launchpad.User) (*userDocs, error) {
	var (
		d   userDocs
		err error
	)
	if d.subscription, err = encodeSubscription(u.Subscription); err != nil {
		return nil, err
	}
	if d.usage, err = encodeUsage(u.Usage); err != nil {
		return nil, err
	}
	if d.mfa, err = encodeMFA(u.MFA); err != nil {
		return nil, err
	}
	if d.control, err = encodeControl(u.Control); err != nil {
		return nil, err
	}
	return &d, nil
}

// userRow lists the columns written for u, with its nested records encoded.
func userRow(u *launchpad.User) (columns, error) {
	docs, err := encodeUserDocs(u)
	if err != nil {
		return nil, err
	}
	return userColumns(u, docs), nil
}

// userConflict names a UNIQUE violation of the email index.
func userConflict(err error, u *launchpad.User) error {
	if uniqueViolation(err) == "users.email" {
		return contract.EmailTaken(u.Email)
	}
	return err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
