package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// sessionColumns lists the table's columns for a record (internal/store/tables).
var sessionColumns = fromTable(tables.Session)

// sessionNames is the column list of sessions.
var sessionNames = sessionColumns(&launchpad.Session{}).names()

// CreateSession stores a new session. ECONFLICT if its id or token hash is taken.
func (db *DB) CreateSession(ctx context.Context, s *launchpad.Session) error {
	now := db.clock()
	return db.alone(ctx, func(q querier) error {
		_, err := insertSession(ctx, q, s, now)
		return err
	})
}

// GetSessionByTokenHash returns the session of a refresh token, or ENOTFOUND.
func (db *DB) GetSessionByTokenHash(ctx context.Context, tokenHash string) (*launchpad.Session, error) {
	var s *launchpad.Session
	err := db.alone(ctx, func(q querier) (err error) {
		s, err = findSession(ctx, q, tokenHash, "")
		return err
	})
	return s, err
}

// RotateSession exchanges the session of oldTokenHash for next. READ COMMITTED with the old
// session's row locked (FOR UPDATE) before it is read: of concurrent presentations of one
// token, the first rotates it and every later one, reading it after that commit, sees it
// rotated — a reuse, which revokes the whole family (the new session included, committed by
// then).
func (db *DB) RotateSession(ctx context.Context, oldTokenHash string, next *launchpad.Session, now time.Time) (*launchpad.RotateResult, error) {
	now = db.orNow(now)
	var res launchpad.RotateResult
	err := db.write(ctx, func(tx pgx.Tx) error {
		res = launchpad.RotateResult{}
		old, err := findSession(ctx, tx, oldTokenHash, "FOR UPDATE")
		if err != nil {
			return err
		}
		reused, err := contract.Rotation(old, now)
		switch {
		case err != nil:
			return err
		case reused:
			if err := revokeSessions(ctx, tx, "family_id", old.FamilyID, now); err != nil {
				return err
			}
			res.Reused = true
			res.Old, err = findSession(ctx, tx, oldTokenHash, "")
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET rotated_at = $2 WHERE id = $1`, old.ID, now); err != nil {
			return err
		}
		n := *next
		n.UserID, n.FamilyID, n.AuthTime = old.UserID, old.FamilyID, old.AuthTime
		if res.New, err = insertSession(ctx, tx, &n, now); err != nil {
			return err
		}
		res.Old, err = findSession(ctx, tx, oldTokenHash, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// RevokeSessionFamily revokes every session of a family that is not revoked yet.
func (db *DB) RevokeSessionFamily(ctx context.Context, familyID string, now time.Time) error {
	now = db.orNow(now)
	return db.alone(ctx, func(q querier) error {
		return revokeSessions(ctx, q, "family_id", familyID, now)
	})
}

// RevokeUserSessions revokes every session of a user that is not revoked yet.
func (db *DB) RevokeUserSessions(ctx context.Context, userID string, now time.Time) error {
	now = db.orNow(now)
	return db.alone(ctx, func(q querier) error {
		return revokeSessions(ctx, q, "user_id", userID, now)
	})
}

// RevokeOtherSessions revokes every session of a user that is not revoked yet, except those
// of family keep.
func (db *DB) RevokeOtherSessions(ctx context.Context, userID, keep string, now time.Time) error {
	now = db.orNow(now)
	return db.alone(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `UPDATE sessions SET revoked_at = $3 WHERE revoked_at IS NULL AND user_id = $1 AND family_id <> $2`, userID, keep, now)
		return err
	})
}

// GetCurrentSession returns the family's session that is not rotated (through the partial
// index sessions_family_current), or ENOTFOUND.
func (db *DB) GetCurrentSession(ctx context.Context, familyID string) (*launchpad.Session, error) {
	var s launchpad.Session
	err := db.alone(ctx, func(q querier) error {
		err := q.QueryRow(ctx, `SELECT `+sessionNames+` FROM sessions WHERE family_id = $1 AND rotated_at IS NULL
			ORDER BY created_at DESC, id DESC LIMIT 1`, familyID).Scan(sessionColumns(&s).refs()...)
		if isNoRows(err) {
			return launchpad.Errorf(launchpad.ENOTFOUND, "unknown session")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// SetSessionAuthTime sets auth_time on the family's current session if it is active at now.
//
// READ COMMITTED. A rotation holds the current session's row lock (FOR UPDATE) from before it
// reads auth_time until it commits: an UPDATE that comes first makes the rotation read the
// new time; one that comes second waits, finds the row rotated, and — its snapshot predating
// the successor — updates nothing. That is the one case of no row updated while the family
// is still signed in, so the statement runs again, with a fresh snapshot that sees the
// successor.
func (db *DB) SetSessionAuthTime(ctx context.Context, familyID string, authTime, now time.Time) error {
	now, authTime = db.orNow(now), db.orNow(authTime)
	return db.alone(ctx, func(q querier) error {
		for range 5 {
			tag, err := q.Exec(ctx, `UPDATE sessions SET auth_time = $2
				WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $3`, familyID, ts(&authTime), now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				return nil
			}
			var signedIn bool
			err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions
				WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2)`, familyID, now).Scan(&signedIn)
			if err != nil {
				return err
			}
			if !signedIn {
				break
			}
		}
		return launchpad.Errorf(launchpad.ENOTFOUND, "the session has ended; sign in again")
	})
}

// TouchSession sets last_seen_at and ip on the family's current session if it is active at
// now and was last seen before now. One statement: a touch that loses to a rotation finds no
// row to update, which is fine, since the rotation's successor records its own use.
func (db *DB) TouchSession(ctx context.Context, familyID, ip string, now time.Time) error {
	now = db.orNow(now)
	return db.alone(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE sessions SET last_seen_at = $3, ip = $2
			WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $3
			AND (last_seen_at IS NULL OR last_seen_at < $3)`, familyID, ip, now)
		if err != nil || tag.RowsAffected() > 0 {
			return err
		}
		var signedIn bool
		err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions
			WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2)`, familyID, now).Scan(&signedIn)
		switch {
		case err != nil:
			return err
		case !signedIn:
			return launchpad.Errorf(launchpad.ENOTFOUND, "the session has ended; sign in again")
		}
		return nil
	})
}

// ListSessions returns the user's sessions that are active at now, newest first.
func (db *DB) ListSessions(ctx context.Context, userID string, now time.Time) ([]*launchpad.Session, error) {
	now = db.orNow(now)
	var out []*launchpad.Session
	err := db.alone(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+sessionNames+` FROM sessions
			WHERE user_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > $2
			ORDER BY created_at DESC, id DESC`, userID, now)
		if err != nil {
			return err
		}
		out, err = collect(rows, sessionColumns)
		return err
	})
	return out, err
}

// insertSession stores a copy of s (CreatedAt defaults to now, ID to a new id) and returns it.
func insertSession(ctx context.Context, tx querier, s *launchpad.Session, now time.Time) (*launchpad.Session, error) {
	c := *s
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	q, args := sessionColumns(&c).insert("sessions")
	out := &launchpad.Session{}
	err := tx.QueryRow(ctx, q+` RETURNING `+sessionNames, args...).Scan(sessionColumns(out).refs()...)
	switch violated(err) {
	case "":
		return out, err
	case "sessions_token_hash_key":
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "a session with this refresh token already exists")
	default:
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "session %q already exists", launchpad.Clip(c.ID, 200))
	}
}

// revokeSessions sets revoked_at on the sessions whose column (family_id or user_id) is value
// and that are not revoked yet, so revoking is idempotent and keeps the first time.
func revokeSessions(ctx context.Context, tx querier, column, value string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE revoked_at IS NULL AND `+column+` = $1`, value, now)
	return err
}

// findSession returns the session of tokenHash, locked as lock says; ENOTFOUND if none.
func findSession(ctx context.Context, tx querier, tokenHash, lock string) (*launchpad.Session, error) {
	var s launchpad.Session
	err := tx.QueryRow(ctx, `SELECT `+sessionNames+` FROM sessions WHERE token_hash = $1 `+lock, tokenHash).Scan(sessionColumns(&s).refs()...)
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "unknown refresh token")
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}
