// Package firestore is launchpad.Store on Cloud Firestore (native mode), through
// cloud.google.com/go/firestore. It is the production store, selected with
// LAUNCHPAD_STORE=firestore://PROJECT_ID; it honours FIRESTORE_EMULATOR_HOST, and otherwise
// authenticates with Application Default Credentials.
//
// # Documents
//
// Every collection name starts with Options.CollectionPrefix ("launchpad_"):
//
//	users/{uid}                  the user document the host's web app shares: openrouterKey (sealed), plan,
//	                             subscription, usage, and the rest of launchpad.User in camelCase
//	user_emails/{email}          email → user id, keeps emails unique
//	plans/{name}                 plan_stripe_prices/{price} keeps Stripe prices unique
//	tenants/{appName}            subkeys/{hash}           stripe_events/{eventId}
//	jobs/{id}                    job_queues/{kind,key}    job_keys/{key} (the running job's lease)
//	job_logs/{jobId}             head; chunks/{index} below it hold the output
//	signin_codes/{email}         sessions/{tokenHash}     session_ids/{id}
//	devices/{userId,fingerprint}
//	audit_events/{stream}:{seq}  audit_streams/{stream} (last seq and hash) audit_ids/{id}
//	states/{workspace}           head; chunks/{writeId}-{index} below it hold the state
//	platform/keys                the platform key record (launchpad.PlatformKeys)
//
// Keys come from users, Terraform and Stripe, so a document id is never trusted: plain keys
// ([A-Za-z0-9._-], starting with a letter or digit, at most 256 bytes — Firebase uids among
// them) are used as they are, anything else ("a/b", "..", "__name__", emails) is encoded (see
// docID). Times are timestamps in UTC; a zero time is null. Documents stay under Firestore's
// 1 MiB: Terraform state (up to 8 MiB) and job logs are chunked, and a Stripe or job payload
// over 900 KiB is refused with EINVALID.
//
// # Concurrency
//
// Several control-plane replicas share one database, so nothing coordinates in process
// memory. Every read-modify-write is optimistic: it reads, decides, and commits its writes in
// one atomic commit conditional on every document it read being unchanged (or still absent);
// if another writer got there first nothing is written and it runs again on fresh reads (see
// atomically). Event de-duplication, job claims, leases and heartbeats, single-use sign-in
// codes and their attempt counter, refresh-token rotation, the audit hash chain, and every
// Update* work this way. The emulator locks documents read by a read-write transaction and
// deadlocks under contention, which is why reads happen outside the commit.
//
// # Indexes
//
// All queries run on Firestore's automatic single-field indexes except ListJobs with a
// filter, which needs the composite indexes in firestore.indexes.json (Firestore merges them
// for combined filters). Deploy them once per project, with the Firebase CLI
// (firebase deploy --only firestore:indexes) or gcloud:
//
//	gcloud firestore indexes composite create --collection-group=launchpad_jobs \
//	  --field-config=field-path=kind,order=ascending --field-config=field-path=createdAt,order=descending
//
// and the same for key and status. The file also exempts blobs (state and log chunks,
// payloads, sealed credentials) from indexing. The emulator needs no indexes.
package firestore
