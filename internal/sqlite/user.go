package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const userColumns = `id, email, plan_name, openrouter_key, openrouter_key_hash, byok_key,
	subscription, usage_doc, mfa_sealed_secret, mfa, created_at, updated_at, control_doc`

// CreateUser stores a new user. ECONFLICT if the id, or a non-empty email, is taken.
func (db *DB) CreateUser(ctx context.Context, u *launchpad.User) error {
	now := db.clock()
	c := *u
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		return insertUser(ctx, tx, &c)
	})
}

// GetUser returns the user with id, or ENOTFOUND.
func (db *DB) GetUser(ctx context.Context, id string) (*launchpad.User, error) {
	var u *launchpad.User
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		u, err = findUser(ctx, tx, `id = ?`, id)
		return err
	})
	if isNoRows(err) {
		return nil, notFound("user", id)
	}
	return u, err
}

// GetUserByEmail returns the user whose (normalised) email is email, or ENOTFOUND.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (*launchpad.User, error) {
	var u *launchpad.User
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		u, err = findUser(ctx, tx, `email = ? AND email <> ''`, email)
		return err
	})
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no user has email %q", email)
	}
	return u, err
}

// GetUserByStripeCustomer returns the user whose subscription belongs to the Stripe customer,
// or ENOTFOUND. Should two users name one customer, the one with the lowest id is returned.
func (db *DB) GetUserByStripeCustomer(ctx context.Context, customerID string) (*launchpad.User, error) {
	var u *launchpad.User
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		u, err = findUser(ctx, tx, `stripe_customer_id = ? AND stripe_customer_id <> '' ORDER BY id LIMIT 1`, customerID)
		return err
	})
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no user has Stripe customer %q", customerID)
	}
	return u, err
}

// UpdateUser applies fn to the stored user in one write transaction.
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	var out *launchpad.User
	err := db.write(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `id = ?`, id)
		if isNoRows(err) {
			return notFound("user", id)
		} else if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		if u.ID != id {
			return keyChanged("user", "ID", id, u.ID)
		}
		u.UpdatedAt = db.clock()
		if err := updateUser(ctx, tx, u); err != nil {
			return err
		}
		out, err = findUser(ctx, tx, `id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListUsers returns up to limit users with ID > afterID, ordered by ID (limit 0 means 100;
// at most 1000).
func (db *DB) ListUsers(ctx context.Context, afterID string, limit int) ([]*launchpad.User, error) {
	var users []*launchpad.User
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE id > ? ORDER BY id LIMIT ?`, afterID, listLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return rows.Err()
	})
	return users, err
}

// findUser returns the first user matching where (a constant condition with one parameter);
// sql.ErrNoRows when there is none.
func findUser(ctx context.Context, tx *sql.Tx, where string, arg any) (*launchpad.User, error) {
	return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
}

func scanUser(row scanner) (*launchpad.User, error) {
	var (
		u                     launchpad.User
		sub, usage, mfaSecret string
		mfa, control          string
	)
	if err := row.Scan(&u.ID, &u.Email, &u.Plan, &u.OpenRouterKey, &u.OpenRouterKeyHash, &u.BYOKKey,
		&sub, &usage, &mfaSecret, &mfa, scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt), &control); err != nil {
		return nil, err
	}
	u.MFA.SealedSecret = mfaSecret
	if err := decodeSubscription(sub, &u.Subscription); err != nil {
		return nil, err
	}
	if err := decodeUsage(usage, &u.Usage); err != nil {
		return nil, err
	}
	if err := decodeMFA(mfa, &u.MFA); err != nil {
		return nil, err
	}
	if err := decodeControl(control, &u.Control); err != nil {
		return nil, err
	}
	return &u, nil
}

// userArgs returns u's column values in userColumns order.
func userArgs(u *launchpad.User) ([]any, error) {
	sub, err := encodeSubscription(u.Subscription)
	if err != nil {
		return nil, err
	}
	usage, err := encodeUsage(u.Usage)
	if err != nil {
		return nil, err
	}
	mfa, err := encodeMFA(u.MFA)
	if err != nil {
		return nil, err
	}
	control, err := encodeControl(u.Control)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, u.Email, u.Plan, u.OpenRouterKey, u.OpenRouterKeyHash, u.BYOKKey,
		sub, usage, u.MFA.SealedSecret, mfa, timeArg(u.CreatedAt), timeArg(u.UpdatedAt),
		control, u.Subscription.StripeCustomerID}, nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u *launchpad.User) error {
	args, err := userArgs(u)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, stripe_customer_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return userConflict(err, u)
}

func updateUser(ctx context.Context, tx *sql.Tx, u *launchpad.User) error {
	args, err := userArgs(u)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE users SET email = ?2, plan_name = ?3, openrouter_key = ?4,
		openrouter_key_hash = ?5, byok_key = ?6, subscription = ?7, usage_doc = ?8,
		mfa_sealed_secret = ?9, mfa = ?10, created_at = ?11, updated_at = ?12,
		control_doc = ?13, stripe_customer_id = ?14 WHERE id = ?1`, args...)
	return userConflict(err, u)
}

// userConflict names what a UNIQUE violation on users is about.
func userConflict(err error, u *launchpad.User) error {
	switch uniqueViolation(err) {
	case "users.id":
		return launchpad.Errorf(launchpad.ECONFLICT, "user %q already exists", u.ID)
	case "users.email":
		return launchpad.Errorf(launchpad.ECONFLICT, "email %q is already used by another user", u.Email)
	}
	return err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
