package benchmark

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

// envForTest builds the provider binary with BuildProvider (as make bench does) and returns
// an Env for one figure run. Every figure group runs tofu (serve refuses to start without
// it), so without tofu the test is stacktest.Missing: it fails when CI=true and is skipped,
// saying why, elsewhere.
func envForTest(t *testing.T) *Env {
	t.Helper()
	tofu := stacktest.Tofu(t)
	moduleDir, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	provider, err := BuildProvider(context.Background(), moduleDir, work)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{ModuleDir: moduleDir, Tofu: tofu, Provider: provider, WorkDir: work, Runs: 1,
		Log: slog.New(slog.NewTextHandler(stacktest.LogWriter(t), nil))}
}

// emitted runs the figure group fig on env and returns the figures it emitted, in order,
// failing the test if the run fails.
func emitted(t *testing.T, env *Env, fig Figure) []Result {
	t.Helper()
	var got []Result
	if err := fig.Run(context.Background(), env, func(r Result) { got = append(got, r) }); err != nil {
		t.Fatalf("%s: %v", fig.Name, err)
	}
	return got
}

// figureNames is the names of figures in order, space-separated, to compare with the
// names a group must emit.
func figureNames(figures []Result) string {
	names := make([]string, len(figures))
	for i, r := range figures {
		names[i] = r.Name
	}
	return strings.Join(names, " ")
}
