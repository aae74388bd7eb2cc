package benchmark

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// WriteCLIConfig writes a tofu CLI configuration that makes tofu use the provider binary in
// providerDir through dev_overrides — no registry, no `init` — exactly as an operator tries a
// freshly built provider.
func WriteCLIConfig(path, providerDir string) error {
	return os.WriteFile(path, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "registry.opentofu.org/clawdrun/launchpad" = %q
  }
  direct {}
}
`, providerDir), 0o600)
}

// Workspace is one tofu working directory driven through terraform-exec.
type Workspace struct {
	Dir string
	tf  *tfexec.Terraform
}

// NewWorkspace writes files (path relative to dir → content) into dir, prepares tofu to run
// there with env (which must name TF_CLI_CONFIG_FILE) and installs the local modules (`tofu
// get`; providers come from dev_overrides or are built in, so there is no `init`).
func NewWorkspace(ctx context.Context, dir, tofu string, files map[string]string, env map[string]string) (*Workspace, error) {
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return nil, err
		}
	}
	tf, err := tfexec.NewTerraform(dir, tofu)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, tf: tf}
	if err := w.SetEnv(env); err != nil {
		return nil, err
	}
	// terraform-exec asks for the version once and caches it; ask now, so that no timed run
	// pays for it.
	if _, _, err := tf.Version(ctx, false); err != nil {
		return nil, fmt.Errorf("tofu version in %s: %w", dir, err)
	}
	if err := tf.Get(ctx); err != nil {
		return nil, fmt.Errorf("tofu get in %s: %w", dir, err)
	}
	return w, nil
}

// SetEnv replaces the environment tofu (and through it the provider) runs with.
func (w *Workspace) SetEnv(env map[string]string) error {
	return w.tf.SetEnv(env)
}

// Apply creates or grows the workspace's resources to n of each (the count variable).
func (w *Workspace) Apply(ctx context.Context, n, parallelism int) error {
	err := w.tf.Apply(ctx, tfexec.Var("n="+strconv.Itoa(n)), tfexec.Parallelism(parallelism))
	if err != nil {
		return fmt.Errorf("tofu apply -var n=%d in %s: %w", n, w.Dir, err)
	}
	return nil
}

// Run is one timed command.
type Run struct {
	Wall time.Duration
	// CPU is the CPU time of tofu and the provider processes it started (zero where the
	// platform cannot say).
	CPU time.Duration
}

// Plan times one `tofu plan` (refresh included) of n instances, as an operator runs it. A
// plan that is not empty is an error: a figure of a fleet that drifts measures the wrong thing.
func (w *Workspace) Plan(ctx context.Context, n, parallelism int) (Run, error) {
	cpu0, _ := childrenCPU()
	start := time.Now()
	changes, err := w.tf.Plan(ctx, tfexec.Var("n="+strconv.Itoa(n)), tfexec.Parallelism(parallelism), tfexec.Lock(false))
	wall := time.Since(start)
	cpu1, _ := childrenCPU()
	if err != nil {
		return Run{}, fmt.Errorf("tofu plan -var n=%d in %s: %w", n, w.Dir, err)
	}
	if changes {
		return Run{}, fmt.Errorf("tofu plan -var n=%d in %s plans changes: the fleet drifted, so its refresh is not what the figure should time", n, w.Dir)
	}
	return Run{Wall: wall, CPU: cpu1 - cpu0}, nil
}
