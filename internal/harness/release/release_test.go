package release

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

var launchpadBinary stacktest.Binary

func TestMain(m *testing.M) {
	code := launchpadBinary.RunAndRemove(m)
	if hostRelease.dir != "" {
		os.RemoveAll(hostRelease.dir)
	}
	os.Exit(code)
}

const testVersion = "0.0.1-test"

var hostRelease struct {
	once sync.Once
	dir  string
	a    *Artifacts
	err  error
}

// buildHostRelease packages the binary the tests build anyway for this platform only, signed
// with a throwaway key, as `make release` does for all five platforms; once per test process.
// The tests only read what it wrote.
func buildHostRelease(t *testing.T) *Artifacts {
	t.Helper()
	bin := launchpadBinary.Path(t)
	hostRelease.once.Do(func() { hostRelease.a, hostRelease.err = buildRelease(bin) })
	if hostRelease.err != nil {
		t.Fatal(hostRelease.err)
	}
	return hostRelease.a
}

func buildRelease(bin string) (*Artifacts, error) {
	signer, err := ThrowawayKey(time.Now())
	if err != nil {
		return nil, err
	}
	if hostRelease.dir, err = os.MkdirTemp("", "launchpad-release-test-"); err != nil {
		return nil, err
	}
	return Build(context.Background(), Options{
		Version:   testVersion,
		Dir:       hostRelease.dir,
		Module:    "../../..",
		Platforms: []Platform{Host()},
		Binaries:  map[Platform]string{Host(): bin},
		Time:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Signer:    signer,
	})
}

// TestReleaseLayoutChecksumsAndSignature: the files are named as the registries expect,
// sha256sum -c passes on SHA256SUMS, and gpgv verifies its signature with the published key
// (and refuses a SHA256SUMS changed by one byte).
func TestReleaseLayoutChecksumsAndSignature(t *testing.T) {
	a := buildHostRelease(t)
	host := Host()
	dir := filepath.Dir(a.Sums)
	want := []string{
		"terraform-provider-launchpad_0.0.1-test_SHA256SUMS",
		"terraform-provider-launchpad_0.0.1-test_SHA256SUMS.sig",
		"terraform-provider-launchpad_0.0.1-test_manifest.json",
		"terraform-provider-launchpad_0.0.1-test_" + host.String() + ".zip",
		"terraform-provider-launchpad_0.0.1-test_signing-key.asc",
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(sortedCopy(want), " ") {
		t.Fatalf("release files:\n got %v\nwant %v", got, sortedCopy(want))
	}

	manifest, _ := os.ReadFile(a.Manifest)
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil || m.Version != 1 || strings.Join(m.Metadata.ProtocolVersions, ",") != "6.0" {
		t.Fatalf("manifest %s: %+v %v", manifest, m, err)
	}

	sums, _ := os.ReadFile(a.Sums)
	if lines := strings.Split(strings.TrimSpace(string(sums)), "\n"); len(lines) != 2 {
		t.Fatalf("SHA256SUMS lists %d files, want the zip and the manifest:\n%s", len(lines), sums)
	}
	sha256sum := stacktest.Command(t, "sha256sum", "sha256sum (GNU coreutils) not found")
	check := exec.Command(sha256sum, "-c", filepath.Base(a.Sums))
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != 2 {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}

	gpgv := gpgVerifier(t, a.PublicKey)
	if out, err := gpgv(a.Signature, a.Sums); err != nil || !strings.Contains(out, "Good signature") {
		t.Fatalf("gpgv did not verify SHA256SUMS with the published key: %v\n%s", err, out)
	}
	forged := filepath.Join(t.TempDir(), "SHA256SUMS")
	if err := os.WriteFile(forged, append([]byte{sums[0] ^ 1}, sums[1:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := gpgv(a.Signature, forged); err == nil {
		t.Fatalf("gpgv verified a changed SHA256SUMS:\n%s", out)
	}

	// The zip holds the one executable, named as the registries expect.
	if out, err := exec.Command("unzip", "-Z1", a.Zips[host]).Output(); err == nil {
		if got := strings.TrimSpace(string(out)); got != BinaryName(testVersion, host) {
			t.Fatalf("the zip holds %q, want %q", got, BinaryName(testVersion, host))
		}
	}
}

// gpgVerifier returns a function that runs gpgv on a signature with only the key at pubKey
// trusted.
func gpgVerifier(t *testing.T, pubKey string) func(sig, data string) (string, error) {
	t.Helper()
	gpg := stacktest.Command(t, "gpg", "gpg not found: install Debian's gnupg (gpg and gpgv) to verify the release's signature")
	gpgv := stacktest.Command(t, "gpgv", "gpgv not found: install Debian's gpgv to verify the release's signature")
	keyring := filepath.Join(t.TempDir(), "launchpad.gpg")
	if out, err := exec.Command(gpg, "--batch", "--yes", "--output", keyring, "--dearmor", pubKey).CombinedOutput(); err != nil {
		t.Fatalf("gpg --dearmor of the published key: %v\n%s", err, out)
	}
	return func(sig, data string) (string, error) {
		out, err := exec.Command(gpgv, "--keyring", keyring, sig, data).CombinedOutput()
		return string(out), err
	}
}

// TestInstallFromMirrors: tofu and terraform install the release from a filesystem mirror and
// from a static network mirror served over HTTPS; each lock file pins the package's h1: hash
// (and tofu's, from the network mirror's report, its zh: too). A lock file seeded with the zh:
// hashes of the signed SHA256SUMS installs and keeps them; one that pins another zip refuses it.
func TestInstallFromMirrors(t *testing.T) {
	a := buildHostRelease(t)
	mirror := t.TempDir()
	if err := Mirror(mirror, a, nil); err != nil {
		t.Fatal(err)
	}
	hashes, err := PackageHashes(a.Zips[Host()])
	if err != nil {
		t.Fatal(err)
	}
	h1, zh := hashes[0], hashes[1]
	sums, _ := os.ReadFile(a.Sums)

	srv := httptest.NewTLSServer(http.FileServer(http.Dir(mirror)))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "mirror-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	installations := map[string]string{
		"filesystem": "filesystem_mirror {\n    path = " + hclString(mirror) + "\n  }",
		"network":    "network_mirror {\n    url = " + hclString(srv.URL+"/") + "\n  }",
	}

	clis := []struct{ name, host, path string }{
		{"tofu", "registry.opentofu.org", stacktest.Tofu(t)},
		{"terraform", "registry.terraform.io", terraform(t)},
	}
	for _, cli := range clis {
		for _, kind := range []string{"filesystem", "network"} {
			t.Run(cli.name+"/"+kind, func(t *testing.T) {
				init := func(lock string) (string, string, error) {
					dir := t.TempDir()
					rc := filepath.Join(dir, "cli.tfrc")
					write(t, rc, "provider_installation {\n  "+installations[kind]+"\n}\n")
					write(t, filepath.Join(dir, "main.tf"), "terraform {\n  required_providers {\n    launchpad = {\n      source  = \"clawdrun/launchpad\"\n      version = \""+testVersion+"\"\n    }\n  }\n}\n")
					if lock != "" {
						write(t, filepath.Join(dir, ".terraform.lock.hcl"), lock)
					}
					cmd := exec.Command(cli.path, "init", "-no-color", "-input=false")
					cmd.Dir = dir
					cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TF_CLI_CONFIG_FILE=" + rc,
						"SSL_CERT_FILE=" + caFile, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
					out, err := cmd.CombinedOutput()
					locked, _ := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
					return string(out), string(locked), err
				}

				out, lock, err := init("")
				if err != nil {
					t.Fatalf("%s init from the %s mirror: %v\n%s", cli.name, kind, err, out)
				}
				if !strings.Contains(out, "Installed clawdrun/launchpad v"+testVersion) {
					t.Fatalf("%s init did not say it installed the release:\n%s", cli.name, out)
				}
				if !strings.Contains(lock, `"`+h1+`"`) {
					t.Fatalf("the lock file does not pin the package's %s:\n%s", h1, lock)
				}
				if cli.name == "tofu" && kind == "network" && !strings.Contains(lock, `"`+zh+`"`) {
					t.Fatalf("tofu verified the mirror's zh: hash but did not pin %s:\n%s", zh, lock)
				}
				t.Logf("%s from the %s mirror pinned: %s", cli.name, kind, strings.Join(lockedHashes(lock), " "))

				seeded, err := LockEntry(cli.host, testVersion, sums)
				if err != nil {
					t.Fatal(err)
				}
				out, lock, err = init(seeded)
				if err != nil {
					t.Fatalf("%s init with the zh: hashes of SHA256SUMS locked: %v\n%s", cli.name, err, out)
				}
				if !strings.Contains(lock, `"`+zh+`"`) || !strings.Contains(lock, `"`+h1+`"`) {
					t.Fatalf("the lock file lost the zh: pin or did not add h1:\n%s", lock)
				}

				if kind == "filesystem" {
					other := strings.Replace(seeded, zh, "zh:"+strings.Repeat("0", 64), 1)
					out, _, err = init(other)
					if err == nil || !strings.Contains(out, "checksums previously recorded in the dependency lock file") {
						t.Fatalf("%s installed a zip that the lock file does not pin: %v\n%s", cli.name, err, out)
					}
				}
			})
		}
	}
}

func TestLockEntry(t *testing.T) {
	sums := []byte(strings.Repeat("a", 64) + "  terraform-provider-launchpad_1.0.0_linux_amd64.zip\n" +
		strings.Repeat("b", 64) + "  terraform-provider-launchpad_1.0.0_manifest.json\n" +
		strings.Repeat("0", 64) + "  terraform-provider-launchpad_1.0.0_darwin_arm64.zip\n")
	got, err := LockEntry("registry.opentofu.org", "1.0.0", sums)
	if err != nil {
		t.Fatal(err)
	}
	want := "provider \"registry.opentofu.org/clawdrun/launchpad\" {\n  version     = \"1.0.0\"\n  constraints = \"1.0.0\"\n  hashes = [\n" +
		"    \"zh:" + strings.Repeat("0", 64) + "\",\n    \"zh:" + strings.Repeat("a", 64) + "\",\n  ]\n}\n"
	if got != want {
		t.Fatalf("LockEntry:\n%s\nwant\n%s", got, want)
	}
	if _, err := LockEntry("h", "1.0.0", []byte("nonsense  x.zip\n")); err == nil {
		t.Fatal("a line without a SHA-256 was accepted")
	}
}

// TestZipIsReproducible: the same binary and time zip to the same bytes.
func TestZipIsReproducible(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "terraform-provider-launchpad_v1.0.0")
	write(t, bin, "#!/bin/sh\n")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var sums []string
	for _, name := range []string{"a.zip", "b.zip"} {
		if err := zipOne(filepath.Join(dir, name), bin, at); err != nil {
			t.Fatal(err)
		}
		s, _ := FileSHA256(filepath.Join(dir, name))
		sums = append(sums, s)
	}
	if sums[0] != sums[1] {
		t.Fatalf("two zips of the same file differ: %v", sums)
	}
}

func TestBuildRefusesABadVersion(t *testing.T) {
	for _, v := range []string{"", "v1.0.0", "1.0", "1.0.0+x y"} {
		if _, err := Build(context.Background(), Options{Version: v, Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "semantic version") {
			t.Errorf("version %q: %v", v, err)
		}
	}
}

func terraform(t *testing.T) string {
	t.Helper()
	return stacktest.Command(t, "terraform", "terraform not found on PATH: the install test runs Terraform (1.11 or later) too")
}

var lockHash = regexp.MustCompile(`"((?:h1|zh):[^"]+)"`)

func lockedHashes(lock string) []string {
	var out []string
	for _, m := range lockHash.FindAllStringSubmatch(lock, -1) {
		out = append(out, m[1])
	}
	return out
}

func hclString(s string) string {
	b, _ := json.Marshal(s)
	return string(bytes.ReplaceAll(b, []byte("${"), []byte("$${")))
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
