package controlplane

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/flytoken"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"
)

// serve with a PLATFORM_SECRET that is not the store's refuses to start, naming the setting,
// before it listens or seals anything.
func TestServeRefusesAnotherStoresPlatformSecret(t *testing.T) {
	dir := t.TempDir()
	storeURL := "sqlite://" + filepath.Join(dir, "lp.db")
	st, err := store.Open(context.Background(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := envelope.NewKeyring("the-stores-own-platform-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.ClaimStore(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	st.Close()

	env := map[string]string{
		"PLATFORM_SECRET":    testSecret,
		"LAUNCHPAD_ADDR":     "127.0.0.1:0",
		"LAUNCHPAD_STORE":    storeURL,
		"LAUNCHPAD_TOFU":     fakeTofu(t),
		"LAUNCHPAD_DATA_DIR": filepath.Join(dir, "data"),
		"LAUNCHPAD_SMTP_URL": smtp.LogURL,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stderr := &stacktest.Output{}
	if code := runServe(ctx, nil, func(k string) string { return env[k] }, io.Discard, stderr); code != 1 {
		t.Fatalf("serve exited %d, want 1:\n%s", code, stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "PLATFORM_SECRET") || !strings.Contains(logs, kr.CurrentKeyID()) || strings.Contains(logs, "control plane listening") {
		t.Errorf("logs do not name PLATFORM_SECRET and the store's key id before listening:\n%s", logs)
	}
	if strings.Contains(logs, testSecret) {
		t.Error("the platform secret is in the logs")
	}
}

func TestServeWarnsOfNonCanonicalEmailsOnlyWhenThereAreSome(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	ctx := context.Background()
	check := func() string {
		var out stacktest.Output
		warnNonCanonicalEmails(ctx, st, slog.New(slog.NewTextHandler(&out, nil)))
		return out.String()
	}
	if err := st.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "victim@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	if logs := check(); logs != "" {
		t.Fatalf("warned with every address canonical: %s", logs)
	}
	if err := st.CreateUser(ctx, &launchpad.User{ID: "u2", Email: "ｖｉｃｔｉｍ@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	logs := check()
	if !strings.Contains(logs, "emails -migrate") || !strings.Contains(logs, "collisions=1") {
		t.Fatalf("no warning naming the command and the collision: %q", logs)
	}
}

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
