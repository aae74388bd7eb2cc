package stack

import (
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Tools are what `make demo` and `make chaos` run Launchpad with: the built binary, OpenTofu,
// and the fleet configuration whose plans they apply.
type Tools struct {
	Binary, Tofu, Fleet string
}

// AddFlags adds -binary, -tofu and -fleet to fs, defaulting to where make puts them; fleetUse
// ends -fleet's help, saying what the fleet's plans are for.
func (t *Tools) AddFlags(fs *flag.FlagSet, fleetUse string) {
	fs.StringVar(&t.Binary, "binary", "bin/terraform-provider-launchpad", "the `path` of terraform-provider-launchpad (make build)")
	fs.StringVar(&t.Tofu, "tofu", "bin/tofu", "the `path` of OpenTofu (make tools)")
	fs.StringVar(&t.Fleet, "fleet", "examples/fleet", "the `directory` of the fleet configuration whose plans "+fleetUse)
}

// Resolve makes the paths absolute, since the programs run them from other directories, and
// checks before anything starts that the binary can be run and has the file name tofu finds
// a provider by (dev_overrides names only its directory), and that OpenTofu can be run. Each
// error says what to build or which flag to pass.
func (t *Tools) Resolve() error {
	for _, p := range []*string{&t.Binary, &t.Tofu, &t.Fleet} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if _, err := exec.LookPath(t.Binary); err != nil {
		return fmt.Errorf("the Launchpad binary %s cannot be run (%v); run `make build` first, or pass -binary", t.Binary, err)
	}
	if filepath.Base(t.Binary) != "terraform-provider-launchpad" {
		return fmt.Errorf("-binary %s: tofu finds the provider by its file name, which must be terraform-provider-launchpad", t.Binary)
	}
	if _, err := exec.LookPath(t.Tofu); err != nil {
		return fmt.Errorf("OpenTofu %s cannot be run (%v); run `make tools` first, or pass -tofu", t.Tofu, err)
	}
	return nil
}
