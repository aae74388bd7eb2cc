// Package rollout carries a fleet-wide change — a new agent image, or a plan's changed
// definition — to every affected tenant: canaries first, then batches, at most MaxParallel
// applies at once, each tenant counted done only when its apply succeeded and its machine is
// started and passing its checks within the health timeout. Too many failures pause the
// rollout by itself; an abort puts the tenants already changed back on their previous image.
// An abort of a plan rollout also puts the plan's previous definition back (the one its
// proposal recorded, while the plan still holds the rollout's) before re-applying the
// tenants it changed: a plan's definition is one record, so the tenants the rollout never
// reached stay consistent with it. The operator's configuration still holds the new
// definition: the next `tofu apply` of it writes it again and proposes a new rollout.
//
// A tenant's own apply while a rollout is in progress (a Stripe webhook, an operator's
// apply, rebuild or reset) follows one rule, launchpad.TenantImage, which the runner reads
// for every apply that names no image: a tenant the rollout already changed keeps the
// rollout's image (only an abort puts it back, and says so), and a tenant not reached yet
// keeps the fleet's image, so it moves only through the rollout's own apply, in its wave,
// behind the health gate of the tenants before it. A plan's definition is one record read
// at apply time: a tenant's own apply after a plan edit carries the new definition even
// before the plan's rollout reaches it; the rollout still applies it in its wave (nothing
// left to change) and counts it done only once its machine passes the health gate.
//
// Everything a rollout knows is in the store (launchpad.Rollout), and its progress is driven
// by launchpad.JobRollout jobs on the apply queue: one step at a time per rollout (the job
// key), re-enqueued until the rollout rests. A replica killed mid-step loses nothing: the
// step's lease runs out, another replica (or the restarted one) takes it and reads the state
// afresh. Each tenant's apply carries the rollout's id, so a step that crashed between
// enqueueing an apply and recording it finds that apply instead of enqueueing another: every
// tenant is applied once per rollout.
package rollout
