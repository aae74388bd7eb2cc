package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// Hostile input against the whole API over real HTTP: every JSON route gets bodies an
// attacker would send, every route that takes an id gets ids made to escape a path or a
// query. Each must be answered 4xx in the JSON error shape — never 5xx, never a dropped
// connection — and nothing may be stored or mailed.
//
// Covered elsewhere, not repeated here: forged, "none"-signed, other-key and expired access
// tokens (TestForgedAndExpiredTokensAreRefused), one user reading another's audit
// (TestUserReadsOnlyTheirOwnAudit), header injection in the sign-in address
// (TestSendVerificationRejectsMalformedAddresses; the mailer's own check in internal/smtp),
// a 10 MB webhook body (billing's TestOversizedBodyIs413AndStoresNothing), a tenant's user id
// reaching the runner's work directory (runner's TestRunRefusesBadPayloadsWithoutTouchingTheDisk).

// jsonRoute is one POST route of routes.go and a well-formed body for it, with {s} where a
// string of the caller's choosing goes.
type jsonRoute struct {
	pattern string // as in routes.go
	auth    string // "", "user" or "admin"
	body    string
}

var jsonRoutes = []jsonRoute{
	{"POST /api/auth/send-verification", "", `{"email":"{s}@example.com"}`},
	{"POST /api/auth/verify", "", `{"email":"hostile@example.com","code":"{s}"}`},
	{"POST /api/auth/mfa/verify", "", `{"mfa_token":"{s}","code":"123456"}`},
	{"POST /api/auth/refresh", "", `{"refresh_token":"{s}"}`},
	{"POST /api/auth/logout", "", `{"refresh_token":"{s}"}`},
	{"POST /api/auth/mfa/totp", "user", `{"{s}":1}`},
	{"POST /api/auth/mfa/totp/confirm", "user", `{"code":"{s}"}`},
	{"DELETE /api/auth/mfa/totp", "user", `{"{s}":1}`},
	{"POST /api/auth/mfa/recovery-codes", "user", `{"{s}":1}`},
	{"POST /api/auth/step-up", "user", `{"{s}":1}`},
	{"POST /api/auth/step-up/verify", "user", `{"code":"{s}"}`},
	{"DELETE /api/auth/sessions/{id}", "user", `{"{s}":1}`},
	{"POST /api/auth/sessions/revoke-others", "user", `{"{s}":1}`},
	{"POST /api/me/rotate-key", "user", `{"{s}":1}`},
	{"POST /api/me/reset", "user", `{"{s}":1}`},
	{"DELETE /api/me", "user", `{"{s}":1}`},
	{"POST /api/me/restart", "user", `{"{s}":1}`},
	{"POST /api/me/rebuild", "user", `{"{s}":1}`},
	{"PUT /api/me/byok", "user", `{"key":"{s}"}`},
	{"DELETE /api/me/byok", "user", `{"{s}":1}`},
	{"DELETE /api/admin/users/{user_id}", "admin", `{"{s}":1}`},
	{"POST /api/admin/tenants/{user_id}/apply", "admin", `{"{s}":1}`},
	{"POST /api/admin/tenants/{user_id}/exec", "admin", `{"command":["echo","{s}"]}`},
	{"POST /api/admin/tenants/{user_id}/rotate-key", "admin", `{"{s}":1}`},
	{"POST /api/admin/tenants/{user_id}/revoke-key", "admin", `{"{s}":1}`},
	{"POST /api/admin/tenants/{user_id}/rebuild", "admin", `{"{s}":1}`},
	{"POST /api/admin/tenants/{user_id}/reset", "admin", `{"{s}":1}`},
	{"POST /api/admin/rollouts", "admin", `{"image":"{s}"}`},
	{"POST /api/admin/rollouts/{id}/pause", "admin", `{"{s}":1}`},
	{"POST /api/admin/rollouts/{id}/resume", "admin", `{"{s}":1}`},
	{"POST /api/admin/rollouts/{id}/abort", "admin", `{"{s}":1}`},
}

// TestEveryJSONRouteIsInTheHostileTable reads routes.go, so that a new JSON route cannot
// miss these tests.
func TestEveryJSONRouteIsInTheHostileTable(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"POST /api/stripe/webhook": true} // the raw-body route: billing's tests and TestWebhookRefusesHostileBodies
	for _, r := range jsonRoutes {
		known[r.pattern] = true
	}
	var missing []string
	for _, m := range regexp.MustCompile(`mux\.Handle(?:Func)?\("(POST|PUT|PATCH|DELETE) ([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		if p := m[1] + " " + m[2]; !known[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("routes with a body not in jsonRoutes (add each with a body that has a string field): %v", missing)
	}
}

// stored counts what the store holds and the mail sent, to show a request left nothing.
type stored struct{ users, audit, jobs, events, mails int }

func (e *testEnv) stored() stored {
	e.t.Helper()
	ctx := context.Background()
	users, err := e.store.ListUsers(ctx, "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	audit, err := e.store.ListAudit(ctx, launchpad.AuditFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	jobs, err := e.store.ListJobs(ctx, launchpad.JobFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	events, err := e.store.ListStripeEvents(ctx, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored{len(users), len(audit), len(jobs), len(events), len(e.smtp.Messages())}
}

// raw sends body as it is (bytes a JSON encoder would never write); an error is a request
// that got no answer.
func (c *client) raw(method, path, token string, body []byte) (*response, error) {
	return exchange(c.hc, c.env.srv.URL(), method, path, token, map[string]string{"Content-Type": "application/json"}, body)
}

// mustRefuse checks a 4xx answer in the JSON error shape.
func mustRefuse(t *testing.T, what string, r *response, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: no answer: %v", what, err)
		return
	}
	var e httpjson.ErrorBody
	switch {
	case r.status < 400 || r.status >= 500:
		t.Errorf("%s: answered %d, want 4xx: %.300s", what, r.status, r.body)
	case !strings.HasPrefix(r.header.Get("Content-Type"), "application/json"):
		t.Errorf("%s: %d answered as %q, not JSON", what, r.status, r.header.Get("Content-Type"))
	case json.Unmarshal(r.body, &e) != nil || e.Error.Code == "" || e.Error.Message == "":
		t.Errorf("%s: %d without the JSON error shape: %.300s", what, r.status, r.body)
	}
}

// hostileBodies are what each JSON route gets, by name; {s} of the route's body is replaced
// where the attack is inside a string.
func hostileBodies(route jsonRoute) map[string][]byte {
	in := func(s string) []byte { return []byte(strings.ReplaceAll(route.body, "{s}", s)) }
	return map[string][]byte{
		"100,000 nested arrays":        []byte(strings.Repeat("[", 100_000)),
		"100,000 nested objects":       []byte(strings.Repeat(`{"a":`, 100_000)),
		"nested arrays in a field":     in(`"` + strings.Repeat("[", 50_000)), // breaks out of the string: invalid JSON
		"invalid UTF-8 in a string":    in("ad\xffa\xfe"),
		"overlong UTF-8 in a string":   in("\xc0\xaf\xc0\xaf"), // "//" spelt in forbidden overlong form
		"a lone surrogate in a string": in("\xed\xa0\x80"),
		"invalid UTF-8 as a key":       []byte("{\"\xff\xfe\":1}"),
		"a body of 10 MB":              in(strings.Repeat("a", 10<<20)),
		"NUL and controls escaped":     in(`a\u0000b\u001b[2Jc`),
		"a raw NUL":                    in("a\x00b"),
	}
}

// newHostileEnv is a test server with every dependency a handler may need (Fly and
// OpenRouter on their simulators), so that no route answers 503 for want of one and each
// hostile request reaches the code that must refuse it.
func newHostileEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvDeps(t, simulatedClouds(t))
}

// simulatedClouds starts the Fly and OpenRouter simulators and returns what hands a server
// the real clients of both.
func simulatedClouds(t testing.TB) func(*Deps) {
	t.Helper()
	flySim := simtest.StartFly(t, sim.FlyOptions{})
	rt, err := fly.New(context.Background(), fly.Config{BaseURL: flySim.URL, Token: flySim.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	orSim := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	keys, err := openrouter.New(openrouter.Config{BaseURL: orSim.URL, ManagementKey: orSim.ManagementKey})
	if err != nil {
		t.Fatal(err)
	}
	return func(d *Deps) { d.Runtime, d.Keys = rt, keys }
}

func TestHostileBodiesOnEveryJSONRoute(t *testing.T) {
	env := newHostileEnv(t)
	c, tok, userID := env.signedIn("hostile", "target@example.com")
	admin := env.cfg.AdminToken
	before := env.stored()
	for _, route := range jsonRoutes {
		method, path, _ := strings.Cut(route.pattern, " ")
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{user_id}", userID), "{id}", "some-session")
		token := map[string]string{"": "", "user": tok.AccessToken, "admin": admin}[route.auth]
		bodies := hostileBodies(route)
		names := make([]string, 0, len(bodies))
		for n := range bodies {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			r, err := c.raw(method, path, token, bodies[name])
			mustRefuse(t, route.pattern+" with "+name, r, err)
		}
	}
	if after := env.stored(); after != before {
		t.Fatalf("hostile bodies left something behind: before %+v, after %+v", before, after)
	}
	// The server is still itself: the user reads their page.
	mustStatus(t, c.get("/api/me", tok.AccessToken), http.StatusOK)
}

// hostileIDs are user ids, job ids and stream names made to leave their place: up a
// directory, into another Firestore collection, out of an SQL string, past a length limit.
var hostileIDs = []string{
	"../../../../etc/passwd", "..", ".", "a/../b", `..\..\windows`, "users/victim", "launchpad_users/x/y",
	"__x__", "x' OR '1'='1", `x"; DROP TABLE users; --`, "x%' --", "*", "%", "x\x00y", "\xff\xfe",
	"x\r\nX-Injected: 1", strings.Repeat("a", 5000), "ａｄｍｉｎ",
}

// TestHostileIDsInPathsAndQueries puts each hostile id in every path and query parameter
// that takes an id. Each answer is a 4xx error (or, for a list, an empty page of the
// caller's own data); nothing is enqueued, recorded or mailed.
func TestHostileIDsInPathsAndQueries(t *testing.T) {
	env := newHostileEnv(t)
	c, tok, victim := env.signedIn("hostile", "victim@example.com")
	admin := env.cfg.AdminToken
	before := env.stored()
	for _, id := range hostileIDs {
		esc := url.PathEscape(id)
		for _, p := range []string{
			"/api/admin/tenants/" + esc + "/apply", "/api/admin/tenants/" + esc + "/exec", "/api/admin/tenants/" + esc + "/rotate-key",
			"/api/admin/tenants/" + esc + "/revoke-key", "/api/admin/tenants/" + esc + "/rebuild",
		} {
			r, err := c.raw(http.MethodPost, p, admin, []byte(`{"command":["true"]}`))
			mustRefuse(t, fmt.Sprintf("POST %s", p), r, err)
		}
		// "." and ".." as a whole path segment are cleaned away by net/http before any
		// route sees them (a redirect to the cleaned path): they are never an id there.
		if id != "." && id != ".." {
			for _, p := range []string{"/api/admin/jobs/" + esc, "/api/admin/jobs/" + esc + "/log"} {
				r, err := c.raw(http.MethodGet, p, admin, nil)
				mustRefuse(t, "GET "+p, r, err)
			}
		}
		if id != "." && id != ".." {
			r, err := c.raw(http.MethodDelete, "/api/auth/sessions/"+esc, tok.AccessToken, nil)
			mustRefuse(t, "DELETE /api/auth/sessions/"+esc, r, err)
		}
		q := url.QueryEscape(id)
		for _, p := range []string{"/api/admin/jobs?user_id=" + q, "/api/audit?stream=" + q, "/api/audit?cursor=" + q} {
			token := admin
			if strings.HasPrefix(p, "/api/audit") {
				token = tok.AccessToken
			}
			r, err := c.raw(http.MethodGet, p, token, nil)
			mustRefuse(t, "GET "+p, r, err)
		}
		// The admin's audit listing by stream: a hostile stream is refused or is simply not
		// there — it never matches the victim's events.
		r, err := c.raw(http.MethodGet, "/api/admin/audit?stream="+q, admin, nil)
		if err != nil {
			t.Errorf("GET /api/admin/audit?stream=%q: %v", id, err)
		} else if r.status == http.StatusOK {
			var page AuditPage
			r.decode(t, &page)
			for _, e := range page.Events {
				if e.Stream == victim {
					t.Errorf("stream %q matched the victim's events", id)
				}
			}
		} else {
			mustRefuse(t, "GET /api/admin/audit?stream="+id, r, nil)
		}
	}
	if after := env.stored(); after != before {
		t.Fatalf("hostile ids left something behind: before %+v, after %+v", before, after)
	}
}
