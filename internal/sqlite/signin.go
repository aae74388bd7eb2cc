package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// signInCodeColumns lists the table's columns for a record (internal/store/tables).
var signInCodeColumns = fromTable(tables.SignInCode)

var selectSignInCodes = signInCodeColumns(&launchpad.SignInCode{}).selectFrom("sign_in_codes")

// PutSignInCode stores c as the only code of c.Email, replacing any earlier one (and its
// attempt count).
func (db *DB) PutSignInCode(ctx context.Context, c *launchpad.SignInCode) error {
	stored := *c
	if stored.HMAC == nil {
		stored.HMAC = []byte{}
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		query, args := signInCodeColumns(&stored).upsert("sign_in_codes", "email")
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// VerifySignInCode checks a guess against email's current code in one write transaction, so
// that guesses from any number of goroutines or processes are counted one by one: the attempt
// is counted before match is called, and match is never called once the count passes
// maxAttempts.
func (db *DB) VerifySignInCode(ctx context.Context, email string, now time.Time, maxAttempts int, match func(hmac []byte) bool) (*launchpad.SignInCode, error) {
	now = db.orNow(now)
	var out *launchpad.SignInCode
	var verdict error // returned after the transaction commits the attempt
	err := db.write(ctx, func(tx *sql.Tx) error {
		var c launchpad.SignInCode
		err := tx.QueryRowContext(ctx, selectSignInCodes+` WHERE email = ?`, email).Scan(signInCodeColumns(&c).dests()...)
		if isNoRows(err) {
			return contract.NoSignInCode()
		} else if err != nil {
			return err
		}
		if err := contract.SignInCodeUsable(c.Used, c.ExpiresAt, now); err != nil {
			return err
		}
		c.Attempts++
		switch {
		case c.Attempts > maxAttempts:
			verdict = contract.TooManyGuesses()
		case match(c.HMAC):
			c.Used = true
			out = &c
		default:
			verdict = contract.WrongSignInCode()
		}
		_, err = tx.ExecContext(ctx, `UPDATE sign_in_codes SET attempts = ?, used = ? WHERE email = ?`, c.Attempts, c.Used, email)
		return err
	})
	if err != nil {
		return nil, err
	}
	if verdict != nil {
		return nil, verdict
	}
	return out, nil
}

// UseToken spends a single-use token: expired markers are purged and the marker inserted in
// one write transaction, so of concurrent uses exactly one inserts it and the others find
// the primary key taken.
func (db *DB) UseToken(ctx context.Context, id string, expiresAt, now time.Time) error {
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM used_tokens WHERE expires_at <= ?`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO used_tokens (id, expires_at) VALUES (?, ?)`, id, expiresAt.UnixMicro())
		if uniqueViolation(err) != "" {
			return contract.TokenUsed()
		}
		return err
	})
}
