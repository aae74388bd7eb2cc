// Package erasure deletes a user's account so that it is really gone: the tenant torn down
// through the apply queue, the sub-key revoked at OpenRouter, the Stripe subscription
// cancelled, every session ended, the user's audit events pseudonymised (identifiers replaced
// by an HMAC under a key derived from PLATFORM_SECRET, their hashes kept so the log still
// verifies), and every stored record that names the user erased (launchpad.ErasureStore).
//
// A deletion is a job of the queue (launchpad.JobErasure) keyed by the user id, so it never
// runs beside an apply of the same tenant and survives a crash: its steps are idempotent, the
// last one finished is stored on the user (TenantControl.ErasureStep), and a job that dies is
// reclaimed and starts again, skipping nothing it cannot check.
package erasure
