// Package benchmark measures Launchpad's figures against their floors: the harness behind
// `make bench` (command internal/harness/benchmark/cmd/bench) and docs/guides/performance.md.
//
// Every figure is a Result with a value, the floor measured in the same run and their ratio
// (always "times worse than the floor"), printed as
//
//	BENCH <name> <value> <unit> [floor=<value>] [ratio=<value>]
//
// and kept, with the measurements behind it, in a Report written as JSON.
//
// Figures are measured in groups that share a setup (a Figure):
//
//   - Fleet: `tofu plan` of N tenants against the sandbox, through dev_overrides to a
//     provider binary built once (BuildProvider), each plan alternating with the floor plan
//     of the same graph of terraform_data (fleet_config.go); variants with Fly's rate limits,
//     more -parallelism, added latency or an extra environment.
//   - Envelope and Rotation: the Go benchmarks of internal/envelope and internal/rotation,
//     compiled once (CompileGoBench) and read with golang.org/x/perf/benchfmt.
//   - Webhook and Convergence: serve and sandbox of the built binary through internal/stack;
//     signed Stripe events against stripe-go verification plus RecordStripeEvent in-process;
//     plan changes through the queue against tofu plan -out + apply in a copy of the runner's
//     workspace.
//   - Rollout: an image rollout over N tenants through serve's admin API (canary, batches,
//     max_parallel, health gate) against one direct `tofu apply` of each of the same
//     per-tenant workspaces, max_parallel at once.
//   - JobClaim: workers of several store handles (as several replicas) claiming and finishing
//     a queue of jobs, every job claimed exactly once.
//
// Webhook ingest and job claims run on each store asked for (Stores: a SQLite file, a schema
// on a PostgreSQL server, a project in the Firestore emulator), one after the other in one
// run, so the stores' figures compare; a store other than SQLite names its figures
// ("webhook_ingest_postgres", "job_claim_firestore").
//
// It is a program, not a set of Go benchmarks, because its figures are wall times of other
// processes (tofu, the provider, the sandbox) taken as the median of a few alternating runs,
// which `go test -bench` can neither time nor interleave; the micro-benchmarks it reports stay
// Go benchmarks in their own packages, runnable on their own.
package benchmark
