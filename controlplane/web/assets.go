package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded files under /static/: one stylesheet, the audit panel's script
// and the icon. Pages link them with ?v=version, a digest of them all, so a browser that
// cached an older stylesheet fetches the new one after an upgrade.
type assets struct {
	files   fs.FS
	version string
	server  http.Handler
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "dashboard assets: %v", err)
	}
	sum := sha256.New()
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum.Write([]byte(path + "\x00"))
		sum.Write(b)
		return nil
	})
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "dashboard assets: %v", err)
	}
	return &assets{
		files:   sub,
		version: hex.EncodeToString(sum.Sum(nil))[:12],
		server:  http.StripPrefix("/static/", http.FileServerFS(sub)),
	}, nil
}

// serve answers GET /static/FILE; directories are not listed.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if name == "" || strings.HasSuffix(name, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	a.server.ServeHTTP(w, r)
}
