package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"
)

// Hosts are the registry hostnames a mirror answers for: OpenTofu's and Terraform's default
// registries, which is what `source = "clawdrun/launchpad"` means to each CLI.
var Hosts = []string{"registry.opentofu.org", "registry.terraform.io"}

// Namespace and Type are the provider's address in a registry: clawdrun/launchpad.
const (
	Namespace = "clawdrun"
	Type      = "launchpad"
)

// Mirror adds release a to dir, laid out so that the one tree is both a filesystem mirror in
// the packed layout and a static network mirror (the provider network mirror protocol):
//
//	dir/HOST/clawdrun/launchpad/terraform-provider-launchpad_{VERSION}_{os}_{arch}.zip
//	dir/HOST/clawdrun/launchpad/index.json       {"versions": {"VERSION": {}, …}}
//	dir/HOST/clawdrun/launchpad/{VERSION}.json   {"archives": {"os_arch": {"url": "…zip", "hashes": ["h1:…", "zh:…"]}}}
//
// for each of hosts (nil means Hosts). Versions already in index.json are kept, so one mirror
// holds every release copied into it. The zips are hard-linked where the filesystem allows.
// The hashes are the two a lock file can pin: zh: (the zip's SHA-256, the one SHA256SUMS
// signs) and h1: (the hash of its contents).
func Mirror(dir string, a *Artifacts, hosts []string) error {
	if hosts == nil {
		hosts = Hosts
	}
	archives := map[string]mirrorArchive{}
	for p, z := range a.Zips {
		hashes, err := PackageHashes(z)
		if err != nil {
			return err
		}
		archives[p.String()] = mirrorArchive{URL: filepath.Base(z), Hashes: hashes}
	}
	for _, host := range hosts {
		d := filepath.Join(dir, host, Namespace, Type)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		for _, z := range a.Zips {
			if err := linkOrCopy(z, filepath.Join(d, filepath.Base(z))); err != nil {
				return err
			}
		}
		if err := writeJSON(filepath.Join(d, a.Version+".json"), map[string]any{"archives": archives}); err != nil {
			return err
		}
		index := struct {
			Versions map[string]struct{} `json:"versions"`
		}{Versions: map[string]struct{}{}}
		if b, err := os.ReadFile(filepath.Join(d, "index.json")); err == nil {
			if err := json.Unmarshal(b, &index); err != nil {
				return fmt.Errorf("%s/index.json: %w", d, err)
			}
			if index.Versions == nil {
				index.Versions = map[string]struct{}{}
			}
		}
		index.Versions[a.Version] = struct{}{}
		if err := writeJSON(filepath.Join(d, "index.json"), index); err != nil {
			return err
		}
	}
	return nil
}

type mirrorArchive struct {
	URL    string   `json:"url"`
	Hashes []string `json:"hashes"`
}

// PackageHashes returns the lock-file hashes of a provider zip, sorted: "h1:…" (Go's dirhash
// of the files in it, what the CLIs compute for any installed package) and "zh:…" (the hex
// SHA-256 of the zip, what SHA256SUMS lists).
func PackageHashes(zipPath string) ([]string, error) {
	h1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return nil, fmt.Errorf("h1 hash of %s: %w", zipPath, err)
	}
	sum, err := FileSHA256(zipPath)
	if err != nil {
		return nil, err
	}
	out := []string{h1, "zh:" + sum}
	sort.Strings(out)
	return out, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func linkOrCopy(src, dst string) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// LockEntry is the dependency lock file block that pins version of the provider at host to the
// zh: hashes of every zip that sums (a SHA256SUMS file) lists: what a registry install records
// from the signed SHA256SUMS, written here for mirrors, whose installs record only the hashes of
// the one platform they install. Check the signature of sums before trusting it.
func LockEntry(host, version string, sums []byte) (string, error) {
	var hashes []string
	for _, line := range strings.Split(string(sums), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || !strings.HasSuffix(name, ".zip") {
			continue
		}
		if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
			return "", fmt.Errorf("SHA256SUMS line %q has no SHA-256", line)
		}
		hashes = append(hashes, "zh:"+sum)
	}
	if len(hashes) == 0 {
		return "", errors.New("SHA256SUMS lists no zip")
	}
	sort.Strings(hashes)
	var b strings.Builder
	fmt.Fprintf(&b, "provider %q {\n  version     = %q\n  constraints = %q\n  hashes = [\n", host+"/"+Namespace+"/"+Type, version, version)
	for _, h := range hashes {
		fmt.Fprintf(&b, "    %q,\n", h)
	}
	b.WriteString("  ]\n}\n")
	return b.String(), nil
}
