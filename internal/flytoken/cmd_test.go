package flytoken

import (
	"strings"
	"testing"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
)

// TestRefusals: each bad input exits non-zero with a message that says what is wrong and what
// to do, prints nothing on stdout, and never echoes the token it was given.
func TestRefusals(t *testing.T) {
	ft := mintFlyToken(t)
	// An older personal access token: hex, no prefix.
	personal := "7f3c9a1be2d04c5f8a6b1d2e3f405162738495a6b7c8d9e0"
	for _, tc := range []struct {
		name  string
		token string
		args  []string
		code  int
		says  []string
	}{
		{"no token", "", []string{"--for", "serve"}, 1, []string{"FLY_API_TOKEN is not set", "never taken as a flag"}},
		{"blank token", "  ", []string{"--for", "serve"}, 1, []string{"FLY_API_TOKEN is not set"}},
		{"a personal token", personal, []string{"--for", "serve"}, 1, []string{"not a Fly macaroon", "fly tokens create org"}},
		{"a personal token with the scheme", "FlyV1 " + personal, []string{"--for", "serve"}, 1, []string{"not a Fly macaroon"}},
		{"an OAuth token", "fo1_" + personal, []string{"--for", "serve"}, 1, []string{"not a Fly macaroon"}},
		{"a macaroon next to a personal token", ft.header + "," + personal, []string{"--for", "serve"}, 1, []string{"not a Fly macaroon"}},
		{"bad base64", "FlyV1 fm2_" + personal + "!!", []string{"--for", "serve"}, 1, []string{"not a Fly macaroon"}},
		{"not a macaroon inside", "fm2_" + "aGVsbG8gd29ybGQ=", []string{"--for", "serve"}, 1, []string{"not a Fly macaroon"}},
		{"no role", ft.header, nil, 2, []string{"--for", "serve, serve-with-exec, plan or exec"}},
		{"an unknown role", ft.header, []string{"--for", "meter"}, 2, []string{`unknown role "meter"`, "serve, serve-with-exec, plan or exec"}},
		{"exec without an app", ft.header, []string{"--for", "exec"}, 1, []string{"--app", "internal_numeric_id"}},
		{"an app for serve", ft.header, []string{"--for", "serve", "--app", "77"}, 1, []string{"--app narrows only --for exec"}},
		{"a negative expiry", ft.header, []string{"--for", "serve", "--expires", "-1h"}, 1, []string{"negative", "720h"}},
		{"the token as an argument", ft.header, []string{"--for", "serve", ft.perm}, 2, []string{"never from the command line"}},
		{"the token as the role", ft.header, []string{"--for", ft.perm}, 2, []string{"unknown role", "[redacted]"}},
		{"the token as the app", ft.header, []string{"--for", "exec", "--app", ft.perm}, 2, []string{"-app", "-h"}},
		{"the token as a flag of its own", ft.header, []string{"--for", "serve", "--token=" + ft.perm}, 2, []string{"-token"}},
		{"a personal token as the expiry", ft.header, []string{"--for", "serve", "--expires", personal}, 2, []string{"-expires"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCmd(t, map[string]string{"FLY_API_TOKEN": tc.token}, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errs)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			for _, s := range tc.says {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr does not say %q:\n%s", s, errs)
				}
			}
			for _, secret := range []string{personal, ft.perm, strings.TrimPrefix(ft.perm, "fm2_")[:40]} {
				if strings.Contains(errs, secret) {
					t.Errorf("stderr echoes the token:\n%s", errs)
				}
			}
		})
	}
}

// TestAcceptsTheTokenWithOrWithoutItsScheme: FLY_API_TOKEN is set both ways in practice.
func TestAcceptsTheTokenWithOrWithoutItsScheme(t *testing.T) {
	ft := mintFlyToken(t)
	bare := strings.TrimPrefix(ft.header, "FlyV1 ")
	out, errs, code := runCmd(t, map[string]string{"FLY_API_TOKEN": bare}, "--for", "plan")
	if code != 0 {
		t.Fatalf("a token without FlyV1 was refused: %s", errs)
	}
	ft.verify(t, strings.TrimSpace(out))
}

func TestHelpListsTheRoles(t *testing.T) {
	_, errs, code := runCmd(t, nil, "-h")
	if code != 0 {
		t.Fatalf("-h exited %d", code)
	}
	for _, r := range Roles() {
		if !strings.Contains(errs, string(r)) {
			t.Errorf("-h does not list %s:\n%s", r, errs)
		}
	}
}

// TestRefusesTokensItCannotScope: a macaroon with no organization caveat (not what Fly
// issues) and a header with two permission tokens are refused, naming what to use instead.
func TestRefusesTokensItCannotScope(t *testing.T) {
	m, err := macaroon.New([]byte("kid"), flyio.LocationPermission, macaroon.NewSigningKey())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	a, b := mintFlyToken(t), mintFlyToken(t)
	for name, tc := range map[string]struct{ token, says string }{
		"no organization":    {macaroon.ToAuthorizationHeader(raw), "not scoped to one Fly organization"},
		"two organizations'": {a.header + "," + strings.TrimPrefix(b.header, "FlyV1 "), "2 permission tokens"},
	} {
		t.Run(name, func(t *testing.T) {
			out, errs, code := runCmd(t, map[string]string{"FLY_API_TOKEN": tc.token}, "--for", "serve")
			if code != 1 || out != "" || !strings.Contains(errs, tc.says) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, and %q", code, out, errs, tc.says)
			}
		})
	}
}
