package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// signInColumns lists the table's columns for a record (internal/store/tables).
var signInColumns = fromTable(tables.SignInCode)

// PutSignInCode stores c as the only code of c.Email, replacing any earlier one (and its
// attempt count), in one INSERT … ON CONFLICT DO UPDATE.
func (db *DB) PutSignInCode(ctx context.Context, c *launchpad.SignInCode) error {
	code := *c
	if code.HMAC == nil {
		code.HMAC = []byte{}
	}
	return db.alone(ctx, func(q querier) error {
		sql, args := signInColumns(&code).insert("sign_in_codes")
		_, err := q.Exec(ctx, sql+` ON CONFLICT (email) DO UPDATE SET hmac = excluded.hmac, created_at = excluded.created_at,
			expires_at = excluded.expires_at, attempts = excluded.attempts, used = excluded.used`, args...)
		return err
	})
}

// VerifySignInCode checks a guess against email's current code.
//
// READ COMMITTED, and the attempt is counted first, in the statement that reads the code: an
// UPDATE … SET attempts = attempts + 1 … RETURNING of a code that is neither used nor expired.
// Its row lock makes parallel guesses from any number of replicas queue, each counting its
// attempt on top of the ones committed before it, so no more than maxAttempts guesses are
// ever compared. The attempt commits also when the guess is refused. When the UPDATE finds
// nothing, a read says why: no code, a used one or an expired one.
func (db *DB) VerifySignInCode(ctx context.Context, email string, now time.Time, maxAttempts int, match func(hmac []byte) bool) (*launchpad.SignInCode, error) {
	now = db.orNow(now)
	var out *launchpad.SignInCode
	var verdict error // returned after the transaction commits the attempt
	err := db.write(ctx, func(tx pgx.Tx) error {
		out, verdict = nil, nil
		c := &launchpad.SignInCode{}
		cs := signInColumns(c)
		err := tx.QueryRow(ctx, `UPDATE sign_in_codes SET attempts = attempts + 1
			WHERE email = $1 AND NOT used AND expires_at > $2 RETURNING `+cs.names(), email, now).Scan(cs.refs()...)
		if isNoRows(err) {
			return whyNoCode(ctx, tx, email)
		} else if err != nil {
			return err
		}
		if c.Attempts > maxAttempts {
			verdict = contract.TooManyGuesses()
			return nil
		}
		if !match(c.HMAC) {
			verdict = contract.WrongSignInCode()
			return nil
		}
		c.Used, out = true, c
		_, err = tx.Exec(ctx, `UPDATE sign_in_codes SET used = true WHERE email = $1`, email)
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

// whyNoCode says why email has no code a guess may be checked against.
func whyNoCode(ctx context.Context, tx pgx.Tx, email string) error {
	var used bool
	switch err := tx.QueryRow(ctx, `SELECT used FROM sign_in_codes WHERE email = $1`, email).Scan(&used); {
	case isNoRows(err):
		return contract.NoSignInCode()
	case err != nil:
		return err
	case used:
		return contract.SignInCodeUsed()
	default:
		return contract.SignInCodeExpired()
	}
}

// UseToken spends a single-use token: in one READ COMMITTED transaction, expired markers are
// purged and the marker inserted with ON CONFLICT DO NOTHING. Of concurrent inserts of one id
// the first takes the key; the others wait for its commit and insert nothing, which is the
// refusal.
func (db *DB) UseToken(ctx context.Context, id string, expiresAt, now time.Time) error {
	now, expiresAt = db.orNow(now), db.orNow(expiresAt)
	var inserted bool
	err := db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM used_tokens WHERE expires_at <= $1`, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO used_tokens (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, expiresAt)
		inserted = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return err
	}
	if !inserted {
		return contract.TokenUsed()
	}
	return nil
}
