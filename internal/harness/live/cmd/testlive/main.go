// Command testlive is `make testlive`: the provider's acceptance tests and a control-plane
// smoke test against a real Fly organization, OpenRouter and Stripe in test mode, then a sweep
// of everything named with the run's prefix. Without the credentials it prints "SKIPPED: …"
// and exits 0. See live.Main.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/live"
)

func main() {
	// Ctrl-C and SIGTERM end the context: the tests are interrupted, then the sweep runs.
	// The handler stays installed, so a second signal cannot kill the sweep.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := live.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
