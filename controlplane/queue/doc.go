// Package queue runs background jobs claimed through the store: a Pool of workers that take
// jobs with launchpad.JobStore.ClaimJob under a lease, keep the lease alive with heartbeats,
// hand each job to the Handler registered for its kind, and record the outcome with FinishJob.
//
// The store is the only coordinator. Several control-plane replicas may run pools on one store:
// ClaimJob gives a job to exactly one claimer and never runs two jobs with the same key at once,
// and a worker that dies (process killed, machine lost) loses nothing, because its job's lease
// runs out and another worker reclaims it. The pool adds no in-process locking of its own.
//
// Idle workers sleep until the poll interval passes or they are woken: by Wake, after a job was
// enqueued in this process, and, when the store is a Notifier (PostgreSQL's LISTEN/NOTIFY), by a
// job enqueued in any process.
//
// Failures: a handler error, or a panic, is a failed attempt. It is retried with exponential
// backoff until the job's MaxAttempts, then the job stays JobFailed, visible in ListJobs, until
// someone enqueues it again. Wrap an error with Permanent to fail at once without retrying.
package queue
