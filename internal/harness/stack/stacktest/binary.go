package stacktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// BinaryName is the file name of the built binary, the one tofu's dev_overrides look for.
const BinaryName = "terraform-provider-launchpad"

// modulePath names this repository's root package, the binary's, so that `go build` finds it
// from the directory of whichever package's tests run.
const modulePath = "github.com/clawdrun/terraform-provider-launchpad"

// Binary is this repository's binary (the provider, `serve`, `sandbox`), built on first use —
// once per test process, so that the tests that need none do not pay for it — into a
// temporary directory. A test package declares one and has TestMain remove it:
//
//	var launchpadBinary stacktest.Binary
//
//	func TestMain(m *testing.M) { os.Exit(launchpadBinary.RunAndRemove(m)) }
type Binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds the binary if it is not built yet and returns its path; a failed build fails
// the test with the compiler's output.
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

func (b *Binary) build() {
	if b.dir, b.err = os.MkdirTemp("", "launchpad-test-binary-"); b.err != nil {
		return
	}
	b.path = filepath.Join(b.dir, BinaryName)
	if out, err := exec.Command("go", "build", "-o", b.path, modulePath).CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go build of the launchpad binary: %v\n%s", err, out)
	}
}

// RunAndRemove runs the package's tests, then deletes the binary and its directory if they
// were built, and returns the tests' exit code.
func (b *Binary) RunAndRemove(m *testing.M) int {
	code := m.Run()
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	return code
}
