package firestore

import (
	"context"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// sessionDoc is one refresh-token session (launchpad_sessions/{tokenHash}); a reservation in
// launchpad_session_ids keeps session ids unique too.
type sessionDoc struct {
	ID        string     `firestore:"id"`
	UserID    string     `firestore:"userId"`
	FamilyID  string     `firestore:"familyId"`
	TokenHash string     `firestore:"tokenHash"`
	DeviceID  string     `firestore:"deviceId"`
	UserAgent string     `firestore:"userAgent"`
	CreatedAt *time.Time `firestore:"createdAt"`
	ExpiresAt *time.Time `firestore:"expiresAt"`
	RotatedAt *time.Time `firestore:"rotatedAt"`
	RevokedAt *time.Time `firestore:"revokedAt"`
	AuthTime  *time.Time `firestore:"authTime"`
	// IP and LastSeenAt: where and when the session was last used (launchpad.Session).
	IP         string     `firestore:"ip"`
	LastSeenAt *time.Time `firestore:"lastSeenAt"`
}

type sessionIDDoc struct {
	ID        string `firestore:"id"`
	TokenHash string `firestore:"tokenHash"`
}

var sessionKind = recordKind[launchpad.Session, sessionDoc]{
	what: "session", keyName: "TokenHash",
	col: func(s *Store) string { return s.col.sessions },
	key: func(x *launchpad.Session) string { return x.TokenHash },
	encode: func(x *launchpad.Session) *sessionDoc {
		return &sessionDoc{
			ID: x.ID, UserID: x.UserID, FamilyID: x.FamilyID, TokenHash: x.TokenHash, DeviceID: x.DeviceID,
			UserAgent: x.UserAgent, CreatedAt: ts(x.CreatedAt), ExpiresAt: ts(x.ExpiresAt),
			RotatedAt: ts(x.RotatedAt), RevokedAt: ts(x.RevokedAt), AuthTime: ts(x.AuthTime),
			IP: x.IP, LastSeenAt: ts(x.LastSeenAt),
		}
	},
	decode: func(d *sessionDoc) *launchpad.Session {
		return &launchpad.Session{
			ID: d.ID, UserID: d.UserID, FamilyID: d.FamilyID, TokenHash: d.TokenHash, DeviceID: d.DeviceID,
			UserAgent: d.UserAgent, CreatedAt: fromTS(d.CreatedAt), ExpiresAt: fromTS(d.ExpiresAt),
			RotatedAt: fromTS(d.RotatedAt), RevokedAt: fromTS(d.RevokedAt), AuthTime: fromTS(d.AuthTime),
			IP: d.IP, LastSeenAt: fromTS(d.LastSeenAt),
		}
	},
}

// CreateSession stores a new session. ECONFLICT if its id or token hash is taken.
func (s *Store) CreateSession(ctx context.Context, x *launchpad.Session) error {
	c := s.newSession(x, s.clock())
	return s.atomically(ctx, "create session", func(b *batch) error {
		return s.insertSession(ctx, b, c)
	})
}

// newSession returns a copy of x with its defaults: a new ID when empty, CreatedAt now.
func (s *Store) newSession(x *launchpad.Session, now time.Time) *launchpad.Session {
	c := *x
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	return &c
}

// insertSession reads what creating c depends on and adds its writes to b.
func (s *Store) insertSession(ctx context.Context, b *batch, c *launchpad.Session) error {
	snaps, err := s.getAll(ctx, sessionKind.ref(s, c.TokenHash), s.doc(s.col.sessionIDs, c.ID))
	if err != nil {
		return err
	}
	switch {
	case snaps[0].Exists():
		return launchpad.Errorf(launchpad.ECONFLICT, "a session with this refresh token already exists")
	case snaps[1].Exists():
		return taken("session", c.ID)
	}
	b.create(snaps[0].Ref, sessionKind.encode(c))
	b.create(snaps[1].Ref, &sessionIDDoc{ID: c.ID, TokenHash: c.TokenHash})
	return nil
}

// GetSessionByTokenHash returns the session of a refresh token, or ENOTFOUND.
func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash string) (*launchpad.Session, error) {
	x, err := getRecord(ctx, s, sessionKind, tokenHash)
	if launchpad.IsNotFound(err) {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "unknown refresh token")
	}
	return x, err
}

// RotateSession exchanges the session of oldTokenHash for next in one commit, conditional on
// the old session being unchanged: of concurrent rotations of one token exactly one gets a
// new session. A token presented after it was rotated is reuse: its whole family is revoked.
func (s *Store) RotateSession(ctx context.Context, oldTokenHash string, next *launchpad.Session, now time.Time) (*launchpad.RotateResult, error) {
	now = micro(now)
	n := s.newSession(next, now)
	var res launchpad.RotateResult
	err := s.atomically(ctx, "rotate session", func(b *batch) error {
		res = launchpad.RotateResult{}
		snap, err := s.get(ctx, sessionKind.ref(s, oldTokenHash))
		if err != nil {
			return err
		}
		if !snap.Exists() {
			return launchpad.Errorf(launchpad.ENOTFOUND, "unknown refresh token")
		}
		old, err := sessionKind.fromSnap(snap)
		if err != nil {
			return err
		}
		reused, err := contract.Rotation(old, now)
		switch {
		case err != nil:
			return err
		case reused:
			// Every session of a family but its first comes from rotating one of the family,
			// which writes that one: a rotation racing with this revocation fails one of the
			// two commits.
			revoked, err := s.revokeWhere(ctx, b, "familyId", old.FamilyID, "", now)
			if err != nil {
				return err
			}
			res.Reused, res.Old = true, old
			if r, ok := revoked[oldTokenHash]; ok {
				res.Old = r
			}
			return nil
		}
		c := *n
		c.UserID, c.FamilyID, c.AuthTime = old.UserID, old.FamilyID, old.AuthTime
		if err := s.insertSession(ctx, b, &c); err != nil {
			return err
		}
		old.RotatedAt = now
		doc := sessionKind.encode(old)
		b.put(snap, doc)
		res.Old, res.New = sessionKind.decode(doc), sessionKind.decode(sessionKind.encode(&c))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// revokeWhere adds to b the revocation, at now, of every session whose field equals value
// and that is not revoked yet (so revoking is idempotent and keeps the first time), except
// the sessions of family keep when it is set. It returns the revoked sessions by token hash.
func (s *Store) revokeWhere(ctx context.Context, b *batch, field, value, keep string, now time.Time) (map[string]*launchpad.Session, error) {
	snaps, err := s.client.Collection(s.col.sessions).Where(field, "==", value).Documents(ctx).GetAll()
	if err != nil {
		return nil, err
	}
	revoked := map[string]*launchpad.Session{}
	for _, snap := range snaps {
		x, err := sessionKind.fromSnap(snap)
		if err != nil {
			return nil, err
		}
		if !x.RevokedAt.IsZero() || (keep != "" && x.FamilyID == keep) {
			continue
		}
		x.RevokedAt = now
		doc := sessionKind.encode(x)
		b.put(snap, doc)
		revoked[x.TokenHash] = sessionKind.decode(doc)
	}
	return revoked, nil
}

// RevokeSessionFamily revokes every session of a family that is not revoked yet.
func (s *Store) RevokeSessionFamily(ctx context.Context, familyID string, now time.Time) error {
	return s.atomically(ctx, "revoke session family", func(b *batch) error {
		_, err := s.revokeWhere(ctx, b, "familyId", familyID, "", micro(now))
		return err
	})
}

// RevokeUserSessions revokes every session of a user that is not revoked yet.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string, now time.Time) error {
	return s.atomically(ctx, "revoke user sessions", func(b *batch) error {
		_, err := s.revokeWhere(ctx, b, "userId", userID, "", micro(now))
		return err
	})
}

// RevokeOtherSessions revokes every session of a user that is not revoked yet, except those
// of family keep.
func (s *Store) RevokeOtherSessions(ctx context.Context, userID, keep string, now time.Time) error {
	if keep == "" {
		keep = "\x00" // no family: revoke them all
	}
	return s.atomically(ctx, "revoke other sessions", func(b *batch) error {
		_, err := s.revokeWhere(ctx, b, "userId", userID, keep, micro(now))
		return err
	})
}

// currentSessions reads the family's sessions that are not rotated: one, unless something
// other than this store wrote the collection. An equality-only query on two fields, which
// Firestore serves from its single-field indexes.
func (s *Store) currentSessions(ctx context.Context, familyID string) ([]*firestore.DocumentSnapshot, error) {
	return s.client.Collection(s.col.sessions).Where("familyId", "==", familyID).Where("rotatedAt", "==", nil).Documents(ctx).GetAll()
}

// GetCurrentSession returns the family's session that is not rotated, or ENOTFOUND.
func (s *Store) GetCurrentSession(ctx context.Context, familyID string) (*launchpad.Session, error) {
	snaps, err := s.currentSessions(ctx, familyID)
	if err != nil {
		return nil, storeError(err, "get current session")
	}
	var newest *launchpad.Session
	for _, snap := range snaps {
		x, err := sessionKind.fromSnap(snap)
		if err != nil {
			return nil, err
		}
		if newest == nil || x.CreatedAt.After(newest.CreatedAt) || (x.CreatedAt.Equal(newest.CreatedAt) && x.ID > newest.ID) {
			newest = x
		}
	}
	if newest == nil {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "unknown session")
	}
	return newest, nil
}

// SetSessionAuthTime sets AuthTime on the family's current session if it is active at now,
// in a commit conditional on that session being unchanged: a rotation committed in between
// fails the condition, and the attempt runs again on the new current session; a rotation
// that read the session before this commit fails its own and copies the new time.
func (s *Store) SetSessionAuthTime(ctx context.Context, familyID string, authTime, now time.Time) error {
	return s.changeCurrentSession(ctx, "set session auth time", familyID, now, func(x *launchpad.Session) bool {
		x.AuthTime = authTime
		return true
	})
}

// TouchSession sets LastSeenAt and IP on the family's current session if it is active at now
// and was last seen before now, conditional on that session being unchanged, as
// SetSessionAuthTime is.
func (s *Store) TouchSession(ctx context.Context, familyID, ip string, now time.Time) error {
	now = micro(now)
	return s.changeCurrentSession(ctx, "touch session", familyID, now, func(x *launchpad.Session) bool {
		if !x.LastSeenAt.Before(now) {
			return false
		}
		x.LastSeenAt, x.IP = now, ip
		return true
	})
}

// changeCurrentSession applies change to the family's current sessions that are signed in at
// now, in one commit conditional on them being unchanged, and writes those change reports
// as changed. ENOTFOUND when none is signed in.
func (s *Store) changeCurrentSession(ctx context.Context, what, familyID string, now time.Time, change func(*launchpad.Session) bool) error {
	return s.atomically(ctx, what, func(b *batch) error {
		snaps, err := s.currentSessions(ctx, familyID)
		if err != nil {
			return err
		}
		found := false
		for _, snap := range snaps {
			x, err := sessionKind.fromSnap(snap)
			if err != nil {
				return err
			}
			if !x.SignedIn(now) {
				continue
			}
			found = true
			if change(x) {
				b.put(snap, sessionKind.encode(x))
			}
		}
		if !found {
			return launchpad.Errorf(launchpad.ENOTFOUND, "the session has ended; sign in again")
		}
		return nil
	})
}

// ListSessions returns the user's sessions that are active at now, newest first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]*launchpad.Session, error) {
	all, err := listRecords(ctx, s, sessionKind, s.client.Collection(s.col.sessions).Where("userId", "==", userID))
	if err != nil {
		return nil, err
	}
	active := slices.DeleteFunc(all, func(x *launchpad.Session) bool { return !x.Active(now) })
	slices.SortFunc(active, func(a, b *launchpad.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return active, nil
}
