package harness

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// TestProductNeverImportsTheHarness lists what the shipped binary is built from and fails if
// any of it lives under internal/harness, or is one of the test-helper packages that sit
// beside their subjects (storetest, simtest, smtptest, billingtest, …): they are for tests,
// benchmarks, chaos and the demo, never for what users run.
func TestProductNeverImportsTheHarness(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../..").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps of the binary: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	const module = "github.com/clawdrun/terraform-provider-launchpad"
	if len(deps) < 50 {
		t.Fatalf("go list -deps printed %d packages; expected the binary's whole dependency tree", len(deps))
	}
	for _, p := range deps {
		if strings.Contains(p, "/internal/harness") {
			t.Errorf("the binary depends on %s: move what it needs out of internal/harness", p)
		}
		if strings.HasPrefix(p, module+"/") && strings.HasSuffix(path.Base(p), "test") {
			t.Errorf("the binary depends on the test helpers %s: only tests and internal/harness may import them", p)
		}
	}
}
