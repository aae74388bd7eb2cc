package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// sessionColumns lists the table's columns for a record (internal/store/tables).
var sessionColumns = fromTable(tables.Session)

var (
	selectSessions = sessionColumns(&launchpad.Session{}).selectFrom("sessions")
	scanSession    = scanWith(sessionColumns)
)

// CreateSession stores a new session. ECONFLICT if its id or token hash is taken.
func (db *DB) CreateSession(ctx context.Context, s *launchpad.Session) error {
	now := db.clock()
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := insertSession(ctx, tx, s, now)
		return err
	})
}

// GetSessionByTokenHash returns the session of a refresh token, or ENOTFOUND.
func (db *DB) GetSessionByTokenHash(ctx context.Context, tokenHash string) (*launchpad.Session, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.Session, error) {
		return findSessionByTokenHash(ctx, tx, tokenHash)
	})
}

// RotateSession exchanges the session of oldTokenHash for next in one write transaction. A
// token presented after it was rotated revokes its whole family (Reused).
func (db *DB) RotateSession(ctx context.Context, oldTokenHash string, next *launchpad.Session, now time.Time) (*launchpad.RotateResult, error) {
	now = db.orNow(now)
	var res launchpad.RotateResult
	err := db.write(ctx, func(tx *sql.Tx) error {
		old, err := findSessionByTokenHash(ctx, tx, oldTokenHash)
		if err != nil {
			return err
		}
		reused, err := contract.Rotation(old, now)
		switch {
		case err != nil:
			return err
		case reused:
			if err := revokeSessions(ctx, tx, `family_id = ?`, old.FamilyID, now); err != nil {
				return err
			}
			res.Reused = true
			res.Old, err = findSessionByTokenHash(ctx, tx, oldTokenHash)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET rotated_at = ? WHERE id = ?`, timeArg(now), old.ID); err != nil {
			return err
		}
		n := *next
		n.UserID, n.FamilyID, n.AuthTime = old.UserID, old.FamilyID, old.AuthTime
		if res.New, err = insertSession(ctx, tx, &n, now); err != nil {
			return err
		}
		res.Old, err = findSessionByTokenHash(ctx, tx, oldTokenHash)
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
	return db.write(ctx, func(tx *sql.Tx) error {
		return revokeSessions(ctx, tx, `family_id = ?`, familyID, now)
	})
}

// RevokeUserSessions revokes every session of a user that is not revoked yet.
func (db *DB) RevokeUserSessions(ctx context.Context, userID string, now time.Time) error {
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		return revokeSessions(ctx, tx, `user_id = ?`, userID, now)
	})
}

// RevokeOtherSessions revokes every session of a user that is not revoked yet, except those
// of family keep.
func (db *DB) RevokeOtherSessions(ctx context.Context, userID, keep string, now time.Time) error {
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND user_id = ? AND family_id <> ?`,
			timeArg(now), userID, keep)
		return err
	})
}

// GetCurrentSession returns the family's session that is not rotated (through the partial
// index sessions_family_current), or ENOTFOUND.
func (db *DB) GetCurrentSession(ctx context.Context, familyID string) (*launchpad.Session, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.Session, error) {
		return findCurrentSession(ctx, tx, familyID)
	})
}

// SetSessionAuthTime sets auth_time on the family's current session if it is active at now.
// Writes are serialised, so a rotation either ran before (and this updates its successor) or
// runs after (and copies the new time).
func (db *DB) SetSessionAuthTime(ctx context.Context, familyID string, authTime, now time.Time) error {
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET auth_time = ?
			WHERE family_id = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
			timeArg(authTime), familyID, now.UnixMicro())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return launchpad.Errorf(launchpad.ENOTFOUND, "the session has ended; sign in again")
		}
		return nil
	})
}

// TouchSession sets last_seen_at and ip on the family's current session if it is active at
// now and was last seen before now.
func (db *DB) TouchSession(ctx context.Context, familyID, ip string, now time.Time) error {
	now = db.orNow(now)
	return db.write(ctx, func(tx *sql.Tx) error {
		cur, err := findCurrentSession(ctx, tx, familyID)
		switch {
		case launchpad.IsNotFound(err) || (err == nil && !cur.SignedIn(now)):
			return launchpad.Errorf(launchpad.ENOTFOUND, "the session has ended; sign in again")
		case err != nil:
			return err
		case !cur.LastSeenAt.Before(now):
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ?`, timeArg(now), ip, cur.ID)
		return err
	})
}

// ListSessions returns the user's sessions that are active at now, newest first.
func (db *DB) ListSessions(ctx context.Context, userID string, now time.Time) ([]*launchpad.Session, error) {
	now = db.orNow(now)
	return list(ctx, db, scanSession, selectSessions+`
			WHERE user_id = ? AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > ?
			ORDER BY created_at DESC, id DESC`, userID, now.UnixMicro())
}

// insertSession stores a copy of s (CreatedAt defaults to now, ID to a new id) and returns it.
func insertSession(ctx context.Context, tx *sql.Tx, s *launchpad.Session, now time.Time) (*launchpad.Session, error) {
	c := *s
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	query, args := sessionColumns(&c).insert("sessions")
	_, err := tx.ExecContext(ctx, query, args...)
	switch uniqueViolation(err) {
	case "":
	case "sessions.token_hash":
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "a session with this refresh token already exists")
	default:
		return nil, launchpad.Errorf(launchpad.ECONFLICT, "session %q already exists", c.ID)
	}
	if err != nil {
		return nil, err
	}
	return findSessionByTokenHash(ctx, tx, c.TokenHash)
}

// revokeSessions sets revoked_at on the sessions matching where (a constant condition with one
// parameter) that are not revoked yet, so revoking is idempotent and keeps the first time.
func revokeSessions(ctx context.Context, tx *sql.Tx, where string, arg any, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND `+where, timeArg(now), arg)
	return err
}

func findSessionByTokenHash(ctx context.Context, tx *sql.Tx, tokenHash string) (*launchpad.Session, error) {
	s, err := scanSession(tx.QueryRowContext(ctx, selectSessions+` WHERE token_hash = ?`, tokenHash))
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "unknown refresh token")
	}
	return s, err
}

func findCurrentSession(ctx context.Context, tx *sql.Tx, familyID string) (*launchpad.Session, error) {
	s, err := scanSession(tx.QueryRowContext(ctx, selectSessions+` WHERE family_id = ? AND rotated_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT 1`, familyID))
	if isNoRows(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "unknown session")
	}
	return s, err
}
