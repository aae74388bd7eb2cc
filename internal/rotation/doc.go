// Package rotation re-seals every stored credential under the current platform secret: the
// `terraform-provider-launchpad rotate-secret` command (RunRotateSecret) and its library form
// (Rotate), which the tests and benchmarks call.
//
// # What it touches
//
// Every sealed field of every user — exactly the fields launchpad.User.SealedFields returns
// (the OpenRouter sub-key, the BYOK key, the TOTP secret). A sub-key record does not store
// the key id its plaintext is sealed under (it is read from the sealed value), so there is
// nothing else to update. Nothing else is derived from stored data: session tokens and sign-in code HMACs are
// keyed by envelope.Keyring.Derive, and the control plane verifies under the current and the
// previous secret's keys, so nobody is signed out while both secrets are configured.
//
// # Batches, transactions, resuming
//
// Users are read in pages (Store.ListUsers, Options.BatchSize per page) and each user that
// has something to re-seal is written in its own Store.UpdateUser transaction, which re-reads
// the record and re-seals the fields as they are then: a writer that changed the user since
// the page was read (a new BYOK key, a plan change, metered usage) is never overwritten.
//
// No checkpoint file is kept, because none is needed: a value already sealed under the
// current key id is recognisable from its header (envelope.Keyring.NeedsReseal) and is left
// as it is. A run that crashed or was interrupted is resumed by running the command again; it
// skips, after checking that they open, the values the first run already re-sealed. Running it
// once more after a complete run changes nothing (idempotent).
//
// # Failures
//
// A credential that opens under neither secret (altered, copied from another user, sealed
// under a third secret) is left untouched and reported with its user id and field name —
// never its value — and the run continues; the command then exits 1. A store error stops the
// run (exit 1); running the command again resumes it.
//
// # The store's active key
//
// The store records the key its credentials are sealed under (launchpad.PlatformKeys), and
// every process compares its secrets with it before it seals (envelope.Keyring.ClaimStore).
// A run first checks that PLATFORM_SECRET_PREVIOUS derives the store's active key (or that
// PLATFORM_SECRET already does: a run repeated) and records PLATFORM_SECRET's key as the
// rotation's next key; processes with the new secret and the old one as previous may seal
// meanwhile. When a run has visited every user and every credential opened, it makes the new
// key the active key and retires the old one: from then on a provider or serve with only the
// old secret is refused before it seals anything, so it cannot undo the rotation for what it
// would write. A run with credentials that do not open leaves the old key active (the result's
// Activated is false) until they are replaced and a run completes cleanly.
//
// # Runbook
//
//  1. Generate the new secret (openssl rand -base64 48). Set PLATFORM_SECRET_PREVIOUS to the
//     old secret and PLATFORM_SECRET to the new one everywhere Launchpad runs (every serve
//     replica, and wherever operators run terraform/tofu with the provider), and restart
//     serve. From then on new values are sealed under the new key, old ones still open,
//     sessions signed and sign-in codes HMAC'd under the old secret keep working, because
//     the control plane verifies under the keys derived from both secrets.
//  2. Run `terraform-provider-launchpad rotate-secret` with the same two variables and
//     LAUNCHPAD_STORE. It prints progress and the counts, and writes a
//     platform.secret_rotated audit event. If it is interrupted, run it again.
//  3. When it reports 0 failed (the store's active key is then the new one), and at least
//     15 minutes after step 1 (the life of an access token and of a sign-in code made under
//     the old secret), unset PLATFORM_SECRET_PREVIOUS and restart serve. Refresh tokens are stored as plain hashes and survive; every stored
//     credential now opens under the new secret alone.
package rotation
