package provider

import (
	"fmt"
	"os"
	"testing"
)

// TestMain refuses to let the acceptance tests pass by skipping: they need TF_ACC=1 and the
// tofu CLI (TF_ACC_TERRAFORM_PATH), which `make test` provides. Under CI=true a missing
// setting fails the run; elsewhere it is printed loudly before terraform-plugin-testing
// skips each acceptance test.
func TestMain(m *testing.M) {
	var missing []string
	for _, v := range []string{"TF_ACC", "TF_ACC_TERRAFORM_PATH"} {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("provider acceptance tests need %v (run them with `make test` or `make testacc`, which build tofu and set them)", missing)
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: "+msg)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "WARNING: SKIPPING acceptance tests: "+msg)
	}
	os.Exit(m.Run())
}
