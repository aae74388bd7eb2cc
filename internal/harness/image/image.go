// Package image builds the control plane's OCI image without a container engine, from
// scratch layers, with github.com/google/go-containerregistry:
//
//	layer 1  /etc/passwd and /etc/group (root, and launchpad 65532:65532), /etc/nsswitch.conf,
//	         the CA certificates, /tmp (1777), /var/lib/launchpad (the state volume, 0700, the
//	         user's own)
//	layer 2  /usr/local/bin/tofu, the OpenTofu CLI the runner drives (a static build)
//	layer 3  /usr/local/bin/terraform-provider-launchpad (a static build), last because it
//	         changes most often
//
// The config runs `terraform-provider-launchpad serve` as 65532:65532 in /var/lib/launchpad,
// with the store, work directories and tofu set to those paths, LAUNCHPAD_ADDR on 0.0.0.0:8080,
// and `terraform-provider-launchpad healthcheck` (GET /healthz) as the health check.
//
// The image is reproducible: every file is dated at the one Created time, owned by numeric ids,
// in sorted order, and the layers are compressed once with a fixed gzip header, so the same
// inputs and time give the same digest. WriteArchive writes it as an OCI image layout in a tar
// (an "oci-archive"), what skopeo, podman, crane and `docker load` (25 and later) read.
//
// It lives under internal/harness because only `make image` and the tests use it.
package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths and ids inside the image.
const (
	User       = "launchpad"
	UID        = 65532
	GID        = 65532
	StateDir   = "/var/lib/launchpad"
	BinaryPath = "/usr/local/bin/terraform-provider-launchpad"
	TofuPath   = "/usr/local/bin/tofu"
	CAPath     = "/etc/ssl/certs/ca-certificates.crt"
	Port       = 8080
)

// DefaultCACerts is where Debian keeps its CA bundle.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// Options are the image's inputs.
type Options struct {
	Binary  string    // a static linux build of terraform-provider-launchpad
	Tofu    string    // a static linux build of tofu
	CACerts string    // PEM bundle; "" means DefaultCACerts
	Version string    // the image's version label
	Arch    string    // GOARCH of both executables
	Created time.Time // the date of every file and of the image; the zero time means the Unix epoch
}

// Build assembles the image.
func Build(o Options) (v1.Image, error) {
	if o.CACerts == "" {
		o.CACerts = DefaultCACerts
	}
	if o.Arch == "" {
		return nil, fmt.Errorf("image: Options.Arch is empty")
	}
	created := o.Created.UTC().Truncate(time.Second)
	if o.Created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("the CA certificates: %w", err)
	}
	base := []file{
		{name: "etc/", mode: 0o755 | dirBit},
		{name: "etc/passwd", mode: 0o644, data: []byte(fmt.Sprintf(
			"root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:Launchpad control plane:%s:/sbin/nologin\n", User, UID, GID, StateDir))},
		{name: "etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\n%s:x:%d:\n", User, GID))},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/ssl/", mode: 0o755 | dirBit},
		{name: "etc/ssl/certs/", mode: 0o755 | dirBit},
		{name: strings.TrimPrefix(CAPath, "/"), mode: 0o644, data: ca},
		{name: "tmp/", mode: 0o1777 | dirBit},
		{name: "var/", mode: 0o755 | dirBit},
		{name: "var/lib/", mode: 0o755 | dirBit},
		{name: strings.TrimPrefix(StateDir, "/") + "/", mode: 0o700 | dirBit, uid: UID, gid: GID},
	}
	usrLocalBin := []file{
		{name: "usr/", mode: 0o755 | dirBit},
		{name: "usr/local/", mode: 0o755 | dirBit},
		{name: "usr/local/bin/", mode: 0o755 | dirBit},
	}
	tofu, err := os.ReadFile(o.Tofu)
	if err != nil {
		return nil, fmt.Errorf("tofu: %w", err)
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("the launchpad binary: %w", err)
	}
	layers := []struct {
		files []file
		by    string
	}{
		{base, "users, CA certificates, /tmp and " + StateDir},
		{append(usrLocalBin, file{name: strings.TrimPrefix(TofuPath, "/"), mode: 0o755, data: tofu}), "OpenTofu at " + TofuPath},
		{append(usrLocalBin, file{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, data: bin}), "terraform-provider-launchpad " + o.Version},
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: o.Arch,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", UID, GID),
			Entrypoint: []string{BinaryPath, "serve"},
			WorkingDir: StateDir,
			Env: []string{
				"PATH=/usr/local/bin",
				"HOME=" + StateDir,
				"SSL_CERT_FILE=" + CAPath,
				fmt.Sprintf("LAUNCHPAD_ADDR=0.0.0.0:%d", Port),
				"LAUNCHPAD_STORE=sqlite://" + StateDir + "/launchpad.db",
				"LAUNCHPAD_DATA_DIR=" + StateDir + "/work",
				"LAUNCHPAD_TOFU=" + TofuPath,
			},
			ExposedPorts: map[string]struct{}{fmt.Sprintf("%d/tcp", Port): {}},
			Volumes:      map[string]struct{}{StateDir: {}},
			Healthcheck: &v1.HealthConfig{
				Test:        []string{"CMD", BinaryPath, "healthcheck"},
				Interval:    30 * time.Second,
				Timeout:     5 * time.Second,
				StartPeriod: 10 * time.Second,
				Retries:     3,
			},
			StopSignal: "SIGTERM",
			Labels: map[string]string{
				"org.opencontainers.image.title":       "launchpad",
				"org.opencontainers.image.description": "Launchpad control plane (terraform-provider-launchpad serve) with OpenTofu",
				"org.opencontainers.image.version":     o.Version,
				"org.opencontainers.image.licenses":    "MPL-2.0",
			},
		},
	})
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		layer, err := tarLayer(l.files, created)
		if err != nil {
			return nil, err
		}
		if img, err = mutate.Append(img, mutate.Addendum{
			Layer:     layer,
			MediaType: types.OCILayer,
			History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: l.by, Comment: "built by make image"},
		}); err != nil {
			return nil, err
		}
	}
	return mutate.CreatedAt(img, v1.Time{Time: created})
}

// dirBit marks a directory in file.mode.
const dirBit = 1 << 31

type file struct {
	name     string // relative, a trailing / for directories
	mode     int64
	uid, gid int
	data     []byte
}

// tarLayer writes files, sorted, into a gzip-compressed tar dated t, once, and returns it as
// an OCI layer.
func tarLayer(files []file, t time.Time) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode &^ dirBit, Uid: f.uid, Gid: f.gid, ModTime: t}
		if f.mode&dirBit != 0 {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	compressed := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(compressed)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// Healthcheck reads the image's health check command, for tests and docs.
func Healthcheck(cfg *v1.ConfigFile) []string {
	if cfg.Config.Healthcheck == nil || len(cfg.Config.Healthcheck.Test) < 2 || cfg.Config.Healthcheck.Test[0] != "CMD" {
		return nil
	}
	return cfg.Config.Healthcheck.Test[1:]
}

// clean is p as a path inside a root file system, without a leading slash.
func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }
