// Package billing is the control plane's Stripe side: the webhook that records verified
// events before answering, and the processor that turns recorded events into each user's
// subscription record, audit entries and apply jobs.
//
// Stripe is the source of truth and delivers at least once, in any order. So:
//   - the webhook verifies the signature on the raw body (stripe-go's webhook package,
//     several endpoint secrets so one can roll) and records the event together with its
//     processing job in one store transaction, de-duplicated by event id, then answers 200;
//   - the processor runs from the queue, one customer at a time, and never moves a record
//     backwards: the subscription changes only for an event at least as new as the last one
//     applied (Subscription.Newer), an ended subscription is never reopened, an event's
//     billing period must not be older than the stored one, a past-due state is cleared only
//     by a payment made after it began, and a usage cycle only moves forward. With
//     STRIPE_API_KEY set it re-fetches each subscription from Stripe instead of trusting the
//     event's copy;
//   - what the tenant should look like is derived from the user record alone (DesiredFor):
//     the plan and overrides of the subscription, and the key rotation and rebuild
//     generations of User.Control. An apply job is enqueued only when the newest one asks for
//     something else, so a replayed or re-processed event enqueues nothing. ApplyNow enqueues
//     one whatever the queue holds (an operator's re-trigger, a key rotation, a rebuild).
//
// Stripe API versions: a webhook endpoint sends events in the version it is pinned to, so
// every version from OldestAPIVersion (2023-10-16, stripe-go v76's) to the current one is
// read, each object from whichever shape it has — before or after the fields that
// 2025-03-31.basil moved (versions.go, shape.go). Each event's version is recorded with it
// and logged. An event whose object has neither shape is refused at the webhook (400, so
// Stripe retries it), logged and counted, and a recorded one fails permanently: it is never
// taken for an event with nothing to do.
//
// With RotateOnPlanChange (LAUNCHPAD_ROTATE_ON_PLAN_CHANGE=true), a change from one paid plan
// to another also bumps the key rotation generation, in the same transaction, so that apply
// mints a new sub-key (for operators who want a fresh key with every plan); by default the
// key's limit moves in place.
//
// Lapses: a past-due subscription keeps its tenant for PastDueGrace (OverdueAt), then lapses;
// a canceled one lapses when it ends. A lapsed tenant and its volume are kept for
// VolumeRetention — nothing is applied to it meanwhile — then a JobLapse timer enqueues the
// destroy, unless the customer paid or came back. The tenant is not stopped here: the
// metering loop (package metering) suspends the machine of a subscription past OverdueAt and
// starts it again once paid; see the controlplane package documentation.
package billing
