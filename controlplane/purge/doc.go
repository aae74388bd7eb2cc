// Package purge enforces the retention of what the control plane stores: on an interval it
// erases the Stripe event payloads (the event id stays, so a redelivery is still a
// duplicate), the logs of finished jobs, ended sessions, idle devices and expired sign-in
// codes older than their retention settings (LAUNCHPAD_RETENTION_STRIPE_PAYLOADS and the
// others of the settings table), through the store's
// RetentionStore sweeps. It also deletes at Fly the apps destroyed tenants' workspaces were
// kept in (a volume snapshot in an otherwise empty app) once they were kept longer than
// LAUNCHPAD_RETENTION_SNAPSHOTS (default 0: at the next pass), through the store's record of
// each (RetainedWorkspaceStore): Fly lists a deleted volume, and so its snapshots, a day at
// most, so the store, not Fly, says which apps are retained workspaces.
//
// Every replica may run the loop. A pass is claimed for its interval window through the
// store's single-use tokens (Store.UseToken with the window as the id), so one replica in
// each window sweeps and the others skip it; were two to sweep at once (a replica whose
// clock is off by a window) nothing is lost or counted twice, since every sweep is an
// idempotent transaction on its own.
package purge
