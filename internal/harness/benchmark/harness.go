package benchmark

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
)

// Env is what every figure may use. One Env serves one run of the harness.
type Env struct {
	// ModuleDir is the repository root: the provider is built there and Go benchmarks run
	// there.
	ModuleDir string
	// Tofu is the absolute path of the tofu binary.
	Tofu string
	// Provider is the terraform-provider-launchpad binary built once for this run (it also
	// serves `sandbox`, `serve` and the other subcommands).
	Provider string
	// WorkDir is this run's scratch directory.
	WorkDir string
	// Runs is how many timed runs make one figure (its median).
	Runs int
	Log  *slog.Logger
	// Stores provides the stores of the store figures (webhook_ingest and job_claim on each
	// store asked for); nil means a SQLite file in the figure's directory.
	Stores *Stores
}

// stores returns env.Stores, or Stores of SQLite files in dir (closed by the caller).
func (env *Env) stores(dir string) *Stores {
	if env.Stores != nil {
		return env.Stores
	}
	return &Stores{Dir: dir, Log: env.Log}
}

// storeSuffix is what a figure's name carries for a store: nothing for SQLite, the figures'
// first store, "_postgres" or "_firestore" for the others.
func storeSuffix(kind string) string {
	if kind == "" || kind == StoreSQLite {
		return ""
	}
	return "_" + kind
}

// Figure is a group of figures measured together (they share an expensive setup, such as a
// fleet of 1,000 tenants). Run measures them and hands each Result to emit as soon as it is
// known, so a long run prints as it goes and a failure keeps what was measured before it.
//
// A new figure is a function with this signature in a file of its own, added to the list the
// command runs (see WebhookIngest and Convergence).
type Figure struct {
	Name string
	Run  func(ctx context.Context, env *Env, emit func(Result)) error
}

// BuildProvider builds the provider binary from moduleDir into dir, once, the way an
// operator builds a provider to try it through dev_overrides.
func BuildProvider(ctx context.Context, moduleDir, dir string) (string, error) {
	out := filepath.Join(dir, "terraform-provider-launchpad")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = moduleDir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build the provider in %s: %w\n%s", moduleDir, err, b)
	}
	return out, nil
}
