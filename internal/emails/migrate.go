package emails

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Store is what Migrate needs of a launchpad.Store.
type Store interface {
	launchpad.UserStore
	RevokeUserSessions(ctx context.Context, userID string, now time.Time) error
}

// errChanged is a user whose address changed between the scan and the rewrite.
var errChanged = errors.New("the stored address changed since it was read")

// Migrate scans (see Scan) and makes each Rewrite, one user at a time, each atomic: the
// address is changed only if it is still the one scanned, and the store refuses it (ECONFLICT)
// if another account took the canonical address since — that account is then reported as a
// collision. Collisions and invalid addresses are reported and left as they are. Running it
// again changes nothing more.
//
// A rewritten account's sessions are revoked: whoever signed in under the old spelling signs
// in again, through a code mailed to the canonical address. An account made under a
// look-alike by someone else does not stay open to them once the address's owner reaches it.
func Migrate(ctx context.Context, st Store, now func() time.Time) (*Report, error) {
	rep, err := Scan(ctx, st)
	if err != nil {
		return nil, err
	}
	pending := rep.Rewrites
	rep.Rewrites = nil
	for _, rw := range pending {
		_, err := st.UpdateUser(ctx, rw.UserID, func(u *launchpad.User) error {
			if u.Email != rw.Email {
				return errChanged
			}
			u.Email = rw.Canonical
			return nil
		})
		switch {
		case err == nil:
			if err := st.RevokeUserSessions(ctx, rw.UserID, now()); err != nil {
				return rep, fmt.Errorf("signing user %s out after rewriting the address: %w", rw.UserID, err)
			}
			rep.Rewritten = append(rep.Rewritten, rw)
		case errors.Is(err, errChanged), launchpad.IsNotFound(err):
			// Changed or deleted since the scan: the next run reads it afresh.
			rep.Rewrites = append(rep.Rewrites, rw)
		case launchpad.IsConflict(err):
			c := Collision{Canonical: rw.Canonical, Accounts: []Account{rw.Account}}
			if other, err := st.GetUserByEmail(ctx, rw.Canonical); err == nil {
				c.Accounts = append(c.Accounts, Account{UserID: other.ID, Email: other.Email})
			}
			rep.Collisions = append(rep.Collisions, c)
		default:
			return rep, fmt.Errorf("rewriting the address of user %s: %w", rw.UserID, err)
		}
	}
	return rep, nil
}
