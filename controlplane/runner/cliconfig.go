package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ProviderBinaryName is the file name tofu looks for in a dev_overrides directory.
const ProviderBinaryName = "terraform-provider-launchpad"

// ProviderAddresses are the source addresses "clawdrun/launchpad" resolves to: OpenTofu's
// default registry, and Terraform's for LAUNCHPAD_TOFU=terraform.
var providerAddresses = []string{
	"registry.opentofu.org/clawdrun/launchpad",
	"registry.terraform.io/clawdrun/launchpad",
}

// providerDir returns a directory holding the provider binary under the name tofu expects:
// the binary's own directory when it already has that name, otherwise linkDir, where a
// symbolic link of that name is (re)made.
func providerDir(binary, linkDir string) (string, error) {
	abs, err := filepath.Abs(binary)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("the provider binary %s cannot be used: %w", abs, err)
	}
	if filepath.Base(abs) == ProviderBinaryName {
		return filepath.Dir(abs), nil
	}
	if err := os.MkdirAll(linkDir, 0o700); err != nil {
		return "", err
	}
	link := filepath.Join(linkDir, ProviderBinaryName)
	if cur, err := os.Readlink(link); err == nil && cur == abs {
		return linkDir, nil
	}
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(abs, tmp); err != nil {
		return "", err
	}
	return linkDir, os.Rename(tmp, link)
}

// cliConfig returns a CLI configuration in which the launchpad provider is the binary in dir
// (dev_overrides: no registry, no `init`) and every other provider installs as usual.
func cliConfig(dir string) []byte {
	var b strings.Builder
	b.WriteString("# Written by the Launchpad control plane for its tofu runs.\n")
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, addr := range providerAddresses {
		fmt.Fprintf(&b, "    %s = %s\n", hclString(addr), hclString(dir))
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return []byte(b.String())
}

// hclString quotes s as an HCL string literal: JSON string escaping (quotes, backslashes,
// control characters) plus the HCL template sequences "${" and "%{".
func hclString(s string) string {
	q, _ := json.Marshal(s)
	return literalEscaper.Replace(string(q))
}
