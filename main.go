// Command terraform-provider-launchpad is Launchpad's one binary.
//
// With no arguments (how Terraform and OpenTofu start it) it serves the Terraform provider
// over protocol 6; -debug serves it for a debugger. Subcommands run the rest of Launchpad:
//
//	serve           the control plane (HTTP API, Stripe webhooks, apply queue)
//	sandbox         local simulators of the Fly Machines and OpenRouter keys APIs
//	rotate-secret   re-seal every stored credential under a new PLATFORM_SECRET
//	audit           print, follow and verify the audit log
//	rollout         start, watch, pause, resume or abort a fleet rollout through the control plane
//	emails          rewrite stored addresses to their canonical form, reporting collisions
//	exec            run a command in a tenant's machine through the control plane, audited first
//	backup          write a consistent copy of the SQLite store while serve runs
//	healthcheck     ask the control plane on this host for /healthz (the image's health check)
//	fly-token       print FLY_API_TOKEN narrowed for one role (serve, plan, one tenant's exec)
//	version         print the version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/rollout"
	"github.com/clawdrun/terraform-provider-launchpad/internal/backup"
	"github.com/clawdrun/terraform-provider-launchpad/internal/emails"
	"github.com/clawdrun/terraform-provider-launchpad/internal/flytoken"
	"github.com/clawdrun/terraform-provider-launchpad/internal/healthcheck"
	"github.com/clawdrun/terraform-provider-launchpad/internal/rotation"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/provider"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// providerAddress is the provider's source address; CLI configs name it in dev_overrides.
const providerAddress = "registry.opentofu.org/clawdrun/launchpad"

// command runs one subcommand and returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":         {"run the control plane", controlplane.RunServe},
		"sandbox":       {"run the Fly and OpenRouter API simulators on loopback", sim.RunSandbox},
		"rotate-secret": {"re-seal stored credentials under a new PLATFORM_SECRET", rotation.RunRotateSecret},
		"exec":          {"run a command in a tenant's machine through the control plane (audited first)", operator.RunExec},
		"audit":         {"print, follow and verify the audit log", controlplane.RunAudit},
		"rollout":       {"start, watch, pause, resume or abort a fleet rollout of a new image or plan", rollout.RunCLI},
		"emails":        {"rewrite stored addresses to their canonical form (-check, -migrate), reporting collisions", emails.Run},
		"version":       {"print the version", runVersion},
		"backup":        {"write a consistent copy of the SQLite store while serve runs", backup.Run},
		"healthcheck":   {"ask the control plane on this host for /healthz (the image's health check)", healthcheck.Run},
		"fly-token":     {"print FLY_API_TOKEN narrowed for one role: serve, plan, one tenant's exec", flytoken.Run},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if c, ok := commands()[args[0]]; ok {
			return c.run(ctx, args[1:], stdout, stderr)
		}
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			usage(stdout)
			return 0
		}
	}
	return serveProvider(ctx, args, stderr)
}

// serveProvider serves the Terraform provider; this is what Terraform runs.
func serveProvider(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("terraform-provider-launchpad", flag.ContinueOnError)
	fs.SetOutput(stderr)
	debugMode := fs.Bool("debug", false, "serve the provider for a debugger (prints TF_REATTACH_PROVIDERS)")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unknown command %q\n\n", fs.Arg(0))
		usage(stderr)
		return 2
	}
	// OpenTofu and Terraform throw the provider's log lines away unless TF_LOG or
	// TF_LOG_PROVIDER is set: do not write them (see settings.QuietLogEnv).
	for k, v := range settings.QuietLogEnv(os.Getenv) {
		if err := os.Setenv(k, v); err != nil {
			log.New(stderr, "", 0).Print(err)
			return 1
		}
	}
	if !*debugMode {
		go exitWhenOrphaned(ctx, stderr)
	}
	err := providerserver.Serve(ctx, provider.New(version), providerserver.ServeOpts{
		Address:         providerAddress,
		Debug:           *debugMode,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.New(stderr, "", 0).Print(err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "terraform-provider-launchpad %s\n\n", version)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  terraform-provider-launchpad [-debug]      serve the Terraform provider (how Terraform starts it)")
	cmds := commands()
	for _, name := range []string{"serve", "sandbox", "rotate-secret", "audit", "exec", "version", "backup", "healthcheck", "fly-token"} {
		fmt.Fprintf(w, "  terraform-provider-launchpad %-13s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\nRun a subcommand with -h for its flags.")
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(stdout, "terraform-provider-launchpad %s%s %s %s/%s (protocol 6)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// exitWhenOrphaned ends the provider process once the process that started it (tofu or
// terraform) is gone. A host killed with SIGKILL cannot stop its plugins, and a provider that
// writes no log lines never finds out through a broken pipe: it would wait forever. When the
// parent dies the process is re-parented, so its parent pid changes.
func exitWhenOrphaned(ctx context.Context, stderr io.Writer) {
	parent := os.Getppid()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != parent {
				fmt.Fprintf(stderr, "terraform-provider-launchpad: the process that started this provider (pid %d) is gone; exiting\n", parent)
				os.Exit(1)
			}
		}
	}
}
