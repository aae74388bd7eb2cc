package benchmark

import (
	"context"
	"log/slog"
	"path/filepath"
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
