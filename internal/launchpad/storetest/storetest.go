// Package storetest is the conformance suite every launchpad.Store must pass. It is the
// executable definition of the contract written in internal/launchpad/store.go: internal/sqlite
// and internal/firestore both run it, so the two stores behave the same for every caller.
//
// Where store.go is silent the suite decides, and both stores follow:
//   - Keys are data: any string (quotes, SQL, non-ASCII) is a valid id; stores do not
//     validate record contents beyond what store.go says.
//   - Deleting, heartbeating or finishing a record that does not exist is ENOTFOUND.
//   - An Update* whose fn changes the record's key (ID, Name, AppName, Hash) is EINVALID and
//     writes nothing.
//   - Lookups by an empty email, Stripe customer or price id are ENOTFOUND (empty values are
//     "not set", never a key).
//   - RecordStripeEvent whose job cannot be stored (its ID is taken) fails and records
//     nothing, so Stripe's retry is not dropped as a duplicate.
//   - EnqueueJob stores Status queued whatever the caller set. ClaimJob takes the job with the
//     oldest CreatedAt first; a job is due when RunAfter <= now. The Key excludes across
//     kinds; jobs with an empty Key do not exclude each other. A claimer that loses a race may
//     see ECONFLICT instead of ENOTFOUND; nothing else. FinishJob with a status other than
//     succeeded or failed is EINVALID.
//   - PutState with a non-zero Version for a workspace without state is ECONFLICT.
//   - A sign-in code is expired at ExpiresAt; a replacement code starts with no attempts.
//   - RotateSession checks revoked and expired before reuse, so once a reuse revoked the
//     family, further presentations are EUNAUTHORIZED. Revoking keeps the first RevokedAt.
//   - A family's current session is found even when it is revoked or expired; a step-up
//     (SetSessionAuthTime) reaches only a current session that is signed in.
//   - UseToken's marker counts until its expiresAt (exclusive), the token's own expiry.
//   - AppendAudit overrides a caller's Seq, PrevHash and Hash; AuditFilter.Since is inclusive.
//
// The suite uses explicit times (a fixed base far in the future) wherever the interface takes
// a now, and never sleeps: lease expiry is tested by claiming with a later now.
package storetest

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// testCase is one conformance case; it gets a fresh, empty store.
type testCase struct {
	name string
	run  func(t *testing.T, s launchpad.Store)
}

// cases lists every conformance case, grouped by the part of Store they cover.
func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		pingCases(),
		userCases(),
		planCases(),
		tenantCases(),
		subKeyCases(),
		stateCases(),
		stripeEventCases(),
		jobCases(),
		jobLogCases(),
		signInCases(),
		sessionCases(),
		stepUpCases(),
		deviceCases(),
		auditCases(),
		auditTreeCases(),
		platformKeyCases(),
		retentionCases(),
		erasureCases(),
		userKeyCases(),
		rolloutCases(),
		hostileIDCases(),
	} {
		all = append(all, group...)
	}
	return all
}

// Run runs every conformance case as a subtest of t. newStore returns a fresh, empty store for
// one case (each case gets its own), and registers its cleanup with t.Cleanup.
//
// The cases run in parallel with each other (t.Parallel) inside one group subtest named
// "conformance", so Run returns only when all of them have finished.
func Run(t *testing.T, newStore func(t *testing.T) launchpad.Store) {
	t.Helper()
	t.Run("conformance", func(t *testing.T) {
		for _, c := range cases() {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, newStore(t))
			})
		}
	})
}

// Count reports how many cases Run has (so `make test` can print how many ran per store).
func Count() int { return len(cases()) }

func pingCases() []testCase {
	return []testCase{
		{"ping", func(t *testing.T, s launchpad.Store) {
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping on a fresh store: %v", err)
			}
		}},
	}
}
