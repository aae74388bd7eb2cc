package provider

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain refuses to let the acceptance tests pass by skipping: they need TF_ACC=1 and a
// Terraform CLI (TF_ACC_TERRAFORM_PATH), which `make test` provides — OpenTofu (bin/tofu) for
// the whole suite, then HashiCorp Terraform (terraform on PATH) for a representative subset.
// Under CI=true a missing setting fails the run; elsewhere it is printed loudly before
// terraform-plugin-testing skips each acceptance test. It prints which CLI the tests run on
// ("acceptance: …", a line `make test` shows in its summary).
func TestMain(m *testing.M) {
	var missing []string
	for _, v := range []string{"TF_ACC", "TF_ACC_TERRAFORM_PATH"} {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("provider acceptance tests need %v (run them with `make test` or `make testacc`, which build tofu and set them; "+
			"for Terraform, terraform must be on PATH)", missing)
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: "+msg)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "WARNING: SKIPPING acceptance tests: "+msg)
		fmt.Println("acceptance: SKIPPED, no CLI: " + msg)
	} else {
		fmt.Printf("acceptance: provider tests run on %s (%s, provider host %s)\n", cliVersion(os.Getenv("TF_ACC_TERRAFORM_PATH")),
			os.Getenv("TF_ACC_TERRAFORM_PATH"), os.Getenv("TF_ACC_PROVIDER_HOST"))
	}
	os.Exit(m.Run())
}

// cliVersion is the first line of `<cli> version`, e.g. "OpenTofu v1.12.6" or "Terraform
// v1.11.4".
func cliVersion(cli string) string {
	out, err := exec.Command(cli, "version").Output()
	if err != nil {
		return "an unknown CLI (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "OpenTofu ") || strings.HasPrefix(line, "Terraform ") {
			return strings.TrimSpace(line)
		}
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}
