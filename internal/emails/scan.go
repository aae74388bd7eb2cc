// Package emails rewrites the addresses stored before canonical emails
// (launchpad.CanonicalEmail) to their canonical form, and reports — never merges — the accounts
// whose addresses turn out to be one address, or no longer a valid one. It is behind
// `terraform-provider-launchpad emails --check | --migrate`, and serve's warning at start.
package emails

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// pageSize is how many users one ListUsers call reads.
const pageSize = 500

// Account is one stored user's address.
type Account struct {
	UserID string
	Email  string
}

// Rewrite is an account whose stored address is not its canonical form, and nothing else
// claims that form: rewriting it changes no one's sign-in.
type Rewrite struct {
	Account
	Canonical string
}

// Collision is a canonical address that several accounts' stored addresses turn into. Which
// account owns it is the operator's decision, never the command's.
type Collision struct {
	Canonical string
	Accounts  []Account
}

// Invalid is an account whose stored address CanonicalEmail refuses (an IP-literal domain,
// say): nobody can sign in to it by email any more.
type Invalid struct {
	Account
	Reason string
}

// Report is what a scan found. A store is done when it has no Rewrites, Collisions or Invalid.
type Report struct {
	Users      int // users read
	Canonical  int // addresses already canonical and claimed by no other account
	Rewrites   []Rewrite
	Collisions []Collision
	Invalid    []Invalid
	// Rewritten is filled by Migrate: the rewrites it made.
	Rewritten []Rewrite
}

// Clean reports whether every stored address is canonical and owned by one account.
func (r *Report) Clean() bool {
	return len(r.Rewrites) == 0 && len(r.Collisions) == 0 && len(r.Invalid) == 0
}

// Scan reads every user and sorts their addresses into canonical, to rewrite, colliding and
// invalid. It changes nothing. It holds every address in memory, one short string per user.
func Scan(ctx context.Context, st launchpad.UserStore) (*Report, error) {
	rep := &Report{}
	byCanonical := map[string][]Account{}
	for after := ""; ; {
		users, err := st.ListUsers(ctx, after, pageSize)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		for _, u := range users {
			rep.Users++
			if u.Email == "" {
				continue
			}
			a := Account{UserID: u.ID, Email: u.Email}
			canonical, err := launchpad.CanonicalEmail(u.Email)
			if err != nil {
				rep.Invalid = append(rep.Invalid, Invalid{Account: a, Reason: launchpad.ErrorMessage(err)})
				continue
			}
			byCanonical[canonical] = append(byCanonical[canonical], a)
		}
		if len(users) < pageSize {
			break
		}
		after = users[len(users)-1].ID
	}
	for _, canonical := range slices.Sorted(maps.Keys(byCanonical)) {
		accounts := byCanonical[canonical]
		switch {
		case len(accounts) > 1:
			rep.Collisions = append(rep.Collisions, Collision{Canonical: canonical, Accounts: accounts})
		case accounts[0].Email != canonical:
			rep.Rewrites = append(rep.Rewrites, Rewrite{Account: accounts[0], Canonical: canonical})
		default:
			rep.Canonical++
		}
	}
	return rep, nil
}
