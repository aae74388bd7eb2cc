package contract

import "testing"

// The allowlist parses, every line has a reason, and its patterns match what they name.
func TestAllowlist(t *testing.T) {
	allow, err := Allowlist()
	if err != nil {
		t.Fatal(err)
	}
	if len(allow) == 0 || len(allow) > 40 {
		t.Fatalf("%d allowlist lines: the list must exist and stay short", len(allow))
	}
	for _, c := range []struct {
		pattern, route string
		want           bool
	}{
		{"* /apps/*/ip_assignments/**", "GET /apps/lp-a/ip_assignments", true},
		{"* /apps/*/ip_assignments/**", "DELETE /apps/lp-a/ip_assignments/2001:db8::1", true},
		{"* /apps/*/ip_assignments/**", "GET /apps/lp-a/volumes", false},
		{"POST /apps/{app_name}/volumes", "POST /apps/{app_name}/volumes", true},
		{"POST /apps/{app_name}/volumes", "GET /apps/{app_name}/volumes", false},
		{"* /apps/{app_name}/volumes/**", "PUT /apps/{app_name}/volumes/{volume_id}/extend", true},
		{"* /**", "GET /apps", true},
	} {
		if got := routeMatches(c.pattern, c.route); got != c.want {
			t.Errorf("routeMatches(%q, %q) = %v, want %v", c.pattern, c.route, got, c.want)
		}
	}
	for _, bad := range []string{
		"fly | route | GET /apps | * | * | ",
		"fly | route | GET /apps | * | * | too short",
		"aws | route | GET /apps | * | * | this api is not one we speak",
		"fly | route | /apps | * | * | a route without its method here",
		"fly | route | GET /apps | * | a reason in the wrong column",
	} {
		if _, err := parseAllowlist([]byte(bad)); err == nil {
			t.Errorf("allowlist line %q parsed; want it refused", bad)
		}
	}
}

// A deviation the allowlist does not name is reported; one it names is counted against its
// line.
func TestCheckerReportsWhatTheAllowlistDoesNotAllow(t *testing.T) {
	c, err := NewChecker(Fly)
	if err != nil {
		t.Fatal(err)
	}
	c.report(Violation{API: "fly", Kind: "route", Route: "GET /apps/lp-a/ip_assignments", Message: "no matching operation was found"})
	c.report(Violation{API: "fly", Kind: "response", Route: "GET /apps/{app_name}", Status: 418, Message: "status is not supported"})
	if v := c.Violations(); len(v) != 1 || v[0].Status != 418 {
		t.Errorf("violations %v, want the 418 only", v)
	}
	if _, allowed := c.Checked(); len(allowed) != 1 {
		t.Errorf("allowlist use %v, want one line used once", allowed)
	}
}
