// Command demo is `make demo`: Launchpad's main job, end to end, on this machine.
//
// It starts `terraform-provider-launchpad sandbox` (the Fly Machines and OpenRouter keys API
// simulators) and `terraform-provider-launchpad serve` (the control plane, on SQLite in a
// temporary directory, mail written to its log) as real processes, creates the starter and
// pro plans of examples/fleet with `tofu apply` of that very configuration (the provider is
// the source of truth for plans), signs a user in, and then plays Stripe: a checkout on
// starter, an upgrade to pro and a cancellation, each a signed webhook. After each it follows
// the apply job's log over the admin API's event stream and prints what the simulators hold:
// the tenant created, resized in place, and torn down after the volume retention.
//
//	go run ./internal/harness/demo -binary bin/terraform-provider-launchpad -tofu bin/tofu
//
// Every secret it needs (platform secret, admin token, webhook secret) is generated for the
// run. It exits non-zero when any step fails, and stops its processes on the way out, on
// Ctrl-C too. It is a Go program rather than a shell script so that it can check every
// answer, parse the simulators' snapshots and clean up reliably.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

func main() { stack.Main(cli) }

// cli parses the flags and runs the demo; it returns the exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	o.AddFlags(fs, "are applied")
	fs.DurationVar(&o.retention, "retention", 5*time.Second, "LAUNCHPAD_VOLUME_RETENTION: how long a cancelled tenant is kept")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, store, workspaces) after a successful run")
	if code, stop := cliflag.ParseNoArgs(fs, args, ""); stop {
		return code
	}
	if err := run(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "\ndemo FAILED: %v\n", err)
		return 1
	}
	return 0
}
