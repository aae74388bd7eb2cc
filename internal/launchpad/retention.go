package launchpad

import (
	"context"
	"time"
)

// RetentionStore erases what Launchpad no longer needs once its retention has passed (the
// purge loop calls it; each cut-off is now minus a retention setting). Every method is one
// idempotent sweep: several replicas may run it at once, and each erased record is counted by
// the one call that erased it. Erased means gone from the store, not hidden: the SQLite store
// overwrites freed pages and checkpoints its write-ahead log after a sweep that erased
// something, so the bytes are not left in its files either.
type RetentionStore interface {
	// PurgeStripePayloads empties the payload (the verified raw body, which names the
	// customer and their address) of every Stripe event received before cutoff. The event's
	// row stays, id included, so a redelivery of it is still a duplicate.
	PurgeStripePayloads(ctx context.Context, receivedBefore time.Time) (int64, error)
	// PurgeJobLogs deletes the logs of jobs that finished before cutoff; the jobs stay.
	PurgeJobLogs(ctx context.Context, finishedBefore time.Time) (int64, error)
	// PurgeSessions deletes the sessions that expired, or were revoked, before cutoff.
	PurgeSessions(ctx context.Context, endedBefore time.Time) (int64, error)
	// PurgeDevices deletes the devices last seen before cutoff (a sign-in from one later
	// counts as a new device again).
	PurgeDevices(ctx context.Context, idleBefore time.Time) (int64, error)
	// PurgeSignInCodes deletes the sign-in codes that expired before cutoff.
	PurgeSignInCodes(ctx context.Context, expiredBefore time.Time) (int64, error)
}
