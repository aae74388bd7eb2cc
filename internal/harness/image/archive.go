package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// WriteArchive writes img as an OCI image layout packed in a tar (an oci-archive) at path,
// tagged ref (org.opencontainers.image.ref.name, e.g. "launchpad:1.2.3"), and returns the
// image's digest. The tar is as reproducible as the image: sorted, dated t, owned by root.
func WriteArchive(path string, img v1.Image, ref string, t time.Time) (v1.Hash, error) {
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	dir, err := os.MkdirTemp("", "launchpad-image-layout-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
		return v1.Hash{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return v1.Hash{}, err
	}
	tmp := path + ".tmp"
	if err := tarDir(tmp, dir, t); err != nil {
		os.Remove(tmp)
		return v1.Hash{}, err
	}
	return digest, os.Rename(tmp, path)
}

// tarDir packs the regular files and directories under dir into a tar at path.
func tarDir(path, dir string, t time.Time) error {
	var names []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		names = append(names, p)
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(names)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, p := range names {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		h := &tar.Header{Name: rel, ModTime: t, Mode: 0o644, Typeflag: tar.TypeReg, Size: st.Size()}
		if st.IsDir() {
			h.Name, h.Mode, h.Typeflag, h.Size = rel+"/", 0o755, tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !st.IsDir() {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Unpack reads an oci-archive written by WriteArchive and extracts its image's file system into
// rootfs (which must exist), applying the layers in order with their modes and, when run as
// root, their owners. It returns the image's digest and config.
func Unpack(archive, rootfs string) (v1.Hash, *v1.ConfigFile, error) {
	dir, err := os.MkdirTemp("", "launchpad-image-unpack-")
	if err != nil {
		return v1.Hash{}, nil, err
	}
	defer os.RemoveAll(dir)
	if err := untar(archive, dir, false); err != nil {
		return v1.Hash{}, nil, fmt.Errorf("%s: %w", archive, err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return v1.Hash{}, nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	if len(m.Manifests) != 1 {
		return v1.Hash{}, nil, fmt.Errorf("%s holds %d images, want 1", archive, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return v1.Hash{}, nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	flat := mutate.Extract(img)
	defer flat.Close()
	if err := extract(flat, rootfs, os.Geteuid() == 0); err != nil {
		return v1.Hash{}, nil, err
	}
	return m.Manifests[0].Digest, cfg, nil
}

func untar(archive, dir string, owners bool) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	return extract(f, dir, owners)
}

// extract writes a tar stream's directories and regular files under dir, refusing names
// that leave it.
func extract(r io.Reader, dir string, owners bool) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := clean(h.Name)
		if name == "" {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := fs.FileMode(h.Mode).Perm()
		if h.Mode&0o1000 != 0 {
			mode |= fs.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: entry type %q is not one this image has", h.Name, h.Typeflag)
		}
		if owners {
			if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
				return err
			}
		}
		if err := os.Chmod(target, mode); err != nil {
			return err
		}
	}
}
