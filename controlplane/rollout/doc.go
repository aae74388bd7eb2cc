// Package rollout carries a fleet-wide change — a new agent image, or a plan's changed
// definition — to every affected tenant: canaries first, then batches, at most MaxParallel
// applies at once, each tenant counted done only when its apply succeeded and its machine is
// started and passing its checks within the health timeout. Too many failures pause the
// rollout by itself; an abort puts the tenants already changed back on their previous image.
//
// Everything a rollout knows is in the store (launchpad.Rollout), and its progress is driven
// by launchpad.JobRollout jobs on the apply queue: one step at a time per rollout (the job
// key), re-enqueued until the rollout rests. A replica killed mid-step loses nothing: the
// step's lease runs out, another replica (or the restarted one) takes it and reads the state
// afresh. Each tenant's apply carries the rollout's id, so a step that crashed between
// enqueueing an apply and recording it finds that apply instead of enqueueing another: every
// tenant is applied once per rollout.
package rollout
