// Package release builds Launchpad's provider release in the layout the Terraform and OpenTofu
// registries read, and the mirrors that install it without a registry:
//
//	terraform-provider-launchpad_{VERSION}_{os}_{arch}.zip   one per platform, holding terraform-provider-launchpad_v{VERSION}[.exe]
//	terraform-provider-launchpad_{VERSION}_manifest.json     terraform-registry-manifest.json (the protocol versions)
//	terraform-provider-launchpad_{VERSION}_SHA256SUMS        sha256sum lines of the zips and the manifest
//	terraform-provider-launchpad_{VERSION}_SHA256SUMS.sig    a detached, binary OpenPGP signature of SHA256SUMS
//	terraform-provider-launchpad_{VERSION}_signing-key.asc   the public key that verifies it, armored
//
// This is what the ecosystem's GoReleaser configuration (the provider scaffolding repository's
// .goreleaser.yml) produces: the same names, the binary named with a v, CGO off, -trimpath, the
// zip entries dated at the commit. GoReleaser itself is not used because its Go module cannot be
// built here (the module proxy serves only an old, unapproved copy of v2), and a release is a
// handful of `go build`s, zips and one signature: owning those lines is cheaper than a tool
// pinned out of reach. Anything that differs from GoReleaser's layout is a bug.
//
// It lives under internal/harness because only `make release`, `make mirror` and the tests
// use it; the shipped binary never imports it.
package release

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// ProjectName is the name every file of the release starts with.
const ProjectName = "terraform-provider-launchpad"

// Platform is one os/arch the provider is built for.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "_" + p.Arch }

// Platforms are the release's platforms: Linux and macOS on amd64 and arm64, Windows on amd64.
var Platforms = []Platform{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"},
}

// Host is the platform this program runs on.
func Host() Platform { return Platform{runtime.GOOS, runtime.GOARCH} }

// versionPattern is a semantic version without the v: what the registries and the CLIs' version
// constraints accept.
var versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// Options say what to build and where.
type Options struct {
	Version   string     // x.y.z or x.y.z-pre, without a leading v
	Dir       string     // where the files are written (created if needed)
	Module    string     // the repository root, the binary's package; "" means "."
	Manifest  string     // terraform-registry-manifest.json; "" means Module's
	Platforms []Platform // nil means Platforms
	// Time dates the zip entries (GoReleaser's mod_timestamp: the commit's time), so that the
	// same commit zips to the same bytes. The zero time means 1980-01-01, zip's epoch.
	Time   time.Time
	Signer Signer
	Log    io.Writer // progress lines; nil discards them
	// Binaries, when set, are executables already built for their platforms, packaged as they
	// are instead of being built: the tests zip the binary they built anyway.
	Binaries map[Platform]string
}

// Artifacts are the paths of what Build wrote.
type Artifacts struct {
	Version   string
	Zips      map[Platform]string
	Manifest  string
	Sums      string
	Signature string
	PublicKey string
}

// Files lists every path, sorted.
func (a *Artifacts) Files() []string {
	out := []string{a.Manifest, a.Sums, a.Signature, a.PublicKey}
	for _, z := range a.Zips {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}

// ZipName is the archive of one platform: terraform-provider-launchpad_1.2.3_linux_amd64.zip.
func ZipName(version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s.zip", ProjectName, version, p)
}

// BinaryName is the executable inside a zip: terraform-provider-launchpad_v1.2.3, .exe on Windows.
func BinaryName(version string, p Platform) string {
	name := ProjectName + "_v" + version
	if p.OS == "windows" {
		name += ".exe"
	}
	return name
}

// Build cross-compiles the binary for every platform, zips each, copies the manifest, writes
// SHA256SUMS and signs it, and writes the signer's public key beside them.
func Build(ctx context.Context, o Options) (*Artifacts, error) {
	if !versionPattern.MatchString(o.Version) {
		return nil, fmt.Errorf("version %q is not a semantic version like 1.2.3 or 1.2.3-rc.1 (no leading v)", o.Version)
	}
	if o.Signer == nil {
		return nil, fmt.Errorf("no signer: the registries refuse an unsigned SHA256SUMS")
	}
	if o.Module == "" {
		o.Module = "."
	}
	if o.Manifest == "" {
		o.Manifest = filepath.Join(o.Module, "terraform-registry-manifest.json")
	}
	if o.Platforms == nil {
		o.Platforms = Platforms
	}
	if o.Time.IsZero() {
		o.Time = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "launchpad-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	prefix := filepath.Join(o.Dir, ProjectName+"_"+o.Version)
	a := &Artifacts{
		Version:   o.Version,
		Zips:      map[Platform]string{},
		Manifest:  prefix + "_manifest.json",
		Sums:      prefix + "_SHA256SUMS",
		Signature: prefix + "_SHA256SUMS.sig",
		PublicKey: prefix + "_signing-key.asc",
	}
	for _, p := range o.Platforms {
		start := time.Now()
		bin := filepath.Join(work, p.String(), BinaryName(o.Version, p))
		if prebuilt, ok := o.Binaries[p]; ok {
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				return nil, err
			}
			if err := linkOrCopy(prebuilt, bin); err != nil {
				return nil, err
			}
		} else if err := GoBuild(ctx, o.Module, p, o.Version, bin); err != nil {
			return nil, err
		}
		zipPath := filepath.Join(o.Dir, ZipName(o.Version, p))
		if err := zipOne(zipPath, bin, o.Time); err != nil {
			return nil, err
		}
		a.Zips[p] = zipPath
		fmt.Fprintf(o.Log, "built %s in %s\n", filepath.Base(zipPath), time.Since(start).Round(100*time.Millisecond))
	}
	manifest, err := os.ReadFile(o.Manifest)
	if err != nil {
		return nil, fmt.Errorf("the registry manifest: %w", err)
	}
	if err := os.WriteFile(a.Manifest, manifest, 0o644); err != nil {
		return nil, err
	}
	sums, err := checksums(append(sortedValues(a.Zips), a.Manifest))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(a.Sums, sums, 0o644); err != nil {
		return nil, err
	}
	var sig, pub bytes.Buffer
	if err := o.Signer.Sign(bytes.NewReader(sums), &sig); err != nil {
		return nil, fmt.Errorf("signing %s with %s: %w", filepath.Base(a.Sums), o.Signer, err)
	}
	if err := o.Signer.PublicKey(&pub); err != nil {
		return nil, fmt.Errorf("exporting the public key of %s: %w", o.Signer, err)
	}
	if err := os.WriteFile(a.Signature, sig.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(a.PublicKey, pub.Bytes(), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "signed %s with %s\n", filepath.Base(a.Sums), o.Signer)
	return a, nil
}

// GoBuild builds the binary of module for p, as a release does: CGO off, -trimpath, stripped,
// with the version stamped into main.version.
func GoBuild(ctx context.Context, module string, p Platform, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+version, "-o", out, ".")
	cmd.Dir = module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s: %v\n%s", p, err, b)
	}
	return nil
}

// zipOne writes a zip holding the one file bin, executable, dated t.
func zipOne(path, bin string, t time.Time) error {
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: filepath.Base(bin), Method: zip.Deflate, Modified: t.UTC()}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = io.Copy(w, src)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checksums returns sha256sum's output for files: "hex  name" lines, sorted by name.
func checksums(files []string) ([]byte, error) {
	type line struct{ name, sum string }
	var lines []line
	for _, p := range files {
		sum, err := FileSHA256(p)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line{filepath.Base(p), sum})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].name < lines[j].name })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s  %s\n", l.sum, l.name)
	}
	return []byte(b.String()), nil
}

// FileSHA256 is the hex SHA-256 of a file's bytes.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sortedValues(m map[Platform]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
