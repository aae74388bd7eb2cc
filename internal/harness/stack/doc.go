// Package stack runs Launchpad as an operator would on one machine — `sandbox` (the Fly
// Machines and OpenRouter keys API simulators) and `serve` (the control plane) of the built
// binary, as real processes on loopback — and talks to them as their clients do: the control
// plane's HTTP API, the simulators' /_sim/ test API, Stripe's signed webhooks and tofu.
//
// `make demo` (internal/harness/demo) and `make chaos` (internal/harness/chaos) are built on it. It is
// written against the documented interfaces (HTTP, the printed settings, the JSON log), not
// against the server's Go types, so that both programs use the product the way a person
// would.
package stack
