// Package metering enforces a tenant's two caps: machine hours per billing cycle, and the
// spend limit of its OpenRouter sub-key. A Meter runs a pass over every tenant (RunOnce) on an
// interval (Run); Summary is the read model GET /api/me and the dashboard show. It also holds
// the machine of a subscription unpaid beyond its grace stopped (see Suspension).
//
// # Hours
//
// A pass reads the tenant machine's events (start, stop, exit… from Runtime.MachineEvents) and
// counts its running time into the user's Usage, in one Store.UpdateUser transaction. The
// transaction is what makes several replicas safe: Usage.MeteredUntil is the cursor up to
// which time is counted, a pass counts only from it to now, and an open run is carried in
// Usage.Running/RunningSince; whichever replica commits first moves the cursor, and the other
// re-reads it and counts only what is left. Nothing is ever counted twice.
//
// The cycle is Usage.CycleStart/CycleEnd: set from the Stripe subscription's current period
// (or the calendar month, UTC, for a user without one), reset by the billing code when Stripe
// starts a new period (invoice.paid). When CycleEnd passes first, the meter counts the old
// cycle to its end and starts the next one itself (the subscription's period if Stripe has
// moved it, else one month on from the anchor day), so an invoice.paid that arrives later for
// the same period changes nothing.
//
// At the plan's MachineHoursPerCycle (checked once a pass, so a machine may run up to one
// interval past it) the pass that sets Usage.CappedAt stops the machine, writes
// usage.hour_cap_reached to the user's audit stream and emails the user — once: the
// transaction that sets CappedAt is the claim. A capped machine found running again is
// stopped again. A machine still stopped when a new cycle begins — only the cap leaves a
// tenant's machine stopped — is started again (usage.cycle_reset); one whose cap was raised
// above the hours used (a plan upgrade) too (usage.hour_cap_lifted). The restart is claimed in
// the transaction the same way. A canceled or unpaid subscription's machine is not started
// again.
//
// A user has one tenant; a user with several is logged and skipped, because Usage carries
// one machine's open run.
//
// # Spend
//
// The tenant's sub-key is read from OpenRouter (KeyIssuer.GetKey). When it is exhausted
// (limit_remaining ≤ 0, or usage ≥ limit for a key whose limit never resets) — the gateway
// then answers 402 — Usage.SpendExhaustedAt is set and key.spend_exhausted audited, once per
// cycle; when it has spend left again (the plan's limit was raised with KeyIssuer.UpdateKey,
// or OpenRouter's limit period reset) the next pass clears it and audits key.spend_restored.
//
// # Usage per day and the 80% warnings
//
// The same transaction counts each running second into its UTC day (Usage.Days), so the days
// are exactly as idempotent as the cycle's total. The spend of a day is the difference
// between successive readings of the sub-key's usage (OpenRouter reports one lifetime figure),
// attributed to the day of the later reading: spend made just before midnight may be counted
// on the next day, and the first reading of a user is only the baseline. The reading
// (Usage.SpendReadingUSD/SpendReadingKey) outlives the cycle.
//
// At 80% of the hour cap the pass whose count crossed it (the stored previous figure below,
// the new one at or above) emails the warning; at 80% of the key's spend limit the pass that
// sets Usage.SpendWarnedAt does, once per cycle. Both say what the overview says
// (notice.HoursWarningNotice, notice.SpendWarningNotice).
//
// # Suspension
//
// The meter is also the tenant's run-state reconciler for non-payment. When the subscription
// is past due (or unpaid) beyond Deps.PastDueGrace — Subscription.OverdueAt, the very moment the
// billing processor calls the subscription lapsed — the pass that sets Control.SuspendedAt
// (the claim, as for the cap) stops the machine, writes tenant.suspended and emails the user,
// once. While suspended the machine is kept stopped (started by hand, or re-created by an
// apply, it is stopped again at the next pass) and a new cycle does not start it. When the
// subscription is paid again (invoice.paid clears PastDueSince and makes it active) the pass
// that clears Control.SuspendedAt starts the machine and writes tenant.resumed — unless the
// hour cap holds it, which the event says; the next cycle then starts it. A start that fails
// puts the suspension back, so the next pass resumes again. A subscription that is canceled
// while suspended stays stopped; billing destroys the tenant after its retention.
//
// # Not modelled
//
// Machine events older than what Fly returns are not needed (the open run is carried), but a
// stop that Fly reports only after a pass has counted past it is corrected at the cursor, so
// clock skew between Fly and the control plane can add at most the skew to a cycle.
package metering
