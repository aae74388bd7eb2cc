package controlplane

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"

	"github.com/clawdrun/terraform-provider-launchpad/internal/flytoken"
)

// TestServeWarnsAboutTheFlyTokenItHolds: serve says at start when its Fly token is the
// organization's (a shell on every tenant) and when it refuses the exec its admin API offers,
// without ever logging the token.
func TestServeWarnsAboutTheFlyTokenItHolds(t *testing.T) {
	m, err := macaroon.New([]byte("kid"), flyio.LocationPermission, macaroon.NewSigningKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(&flyio.Organization{ID: 9, Mask: resset.ActionAll}); err != nil {
		t.Fatal(err)
	}
	raw, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	org := macaroon.ToAuthorizationHeader(raw)
	narrowed := func(role flytoken.Role) string {
		res, err := flytoken.Attenuate(org, flytoken.Request{Role: role}, 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return res.Header
	}
	serve, serveExec := narrowed(flytoken.RoleServe), narrowed(flytoken.RoleServeWithExec)
	personal := "7f3c9a1be2d04c5f8a6b1d2e3f405162738495a6b7c8d9e0"
	for _, tc := range []struct {
		name     string
		env      map[string]string
		adminAPI bool
		want     string // "" for no warning
	}{
		{"the organization's token", map[string]string{"FLY_API_TOKEN": org}, false, "not narrowed"},
		{"a personal token", map[string]string{"FLY_API_TOKEN": personal}, false, "not a Fly organization macaroon"},
		{"a serve token with the admin API", map[string]string{"FLY_API_TOKEN": serve}, true, "operator exec"},
		{"a serve token without it", map[string]string{"FLY_API_TOKEN": serve}, false, ""},
		{"a serve-with-exec token with it", map[string]string{"FLY_API_TOKEN": serveExec}, true, ""},
		{"the sandbox", map[string]string{"FLY_API_TOKEN": personal, "FLY_FLAPS_BASE_URL": "http://127.0.0.1:4280"}, true, ""},
		{"no token", map[string]string{}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			warnAboutFlyToken(slog.New(slog.NewTextHandler(&buf, nil)), tc.env, tc.adminAPI)
			out := buf.String()
			if tc.want == "" && out != "" || tc.want != "" && !strings.Contains(out, tc.want) {
				t.Errorf("logged %q, want a warning saying %q", out, tc.want)
			}
			for _, secret := range []string{personal, strings.TrimPrefix(org, "FlyV1 "), strings.TrimPrefix(serve, "FlyV1 ")} {
				if strings.Contains(out, secret) {
					t.Error("the log carries the token")
				}
			}
		})
	}
}
