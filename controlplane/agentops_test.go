package controlplane

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// A customer restarts and rebuilds their own agent over the API, and stores, replaces and
// removes their own model key: each audited as themselves, the key never in an answer or
// audit entry, a bad key refused naming the field, and a user without an agent told so.
func TestMeAgentActions(t *testing.T) {
	flySim := simtest.StartFly(t, sim.FlyOptions{})
	rt, err := fly.New(context.Background(), fly.Config{BaseURL: flySim.URL, Token: flySim.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnvDeps(t, func(d *Deps) { d.Runtime = rt })
	c, tok, userID := e.signedIn("browser", "ines@example.com")
	ctx := context.Background()

	if r := c.do(http.MethodPost, "/api/me/restart", tok.AccessToken, nil); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "no agent to restart") {
		t.Fatalf("restart before an agent: %d %s", r.status, r.body)
	}
	e.subscribed(userID)
	app, machine := e.startedTenant(t, rt, userID)

	a := decodeAction(t, c.do(http.MethodPost, "/api/me/restart", tok.AccessToken, nil), http.StatusOK)
	if a.Action != "restart" || a.AuditEventID == "" {
		t.Fatalf("restart answers %+v", a)
	}
	if err := rt.WaitMachine(ctx, app, machine, launchpad.MachineStarted, time.Minute); err != nil {
		t.Fatalf("the restarted machine does not start again: %v", err)
	}
	var stops int
	for _, ev := range must(rt.MachineEvents(ctx, app, machine)) {
		if ev.Type == "stop" {
			stops++
		}
	}
	if stops != 1 {
		t.Fatalf("the restart stopped the machine %d times, want once", stops)
	}
	if evs := mustAudit(t, e.store, userID, launchpad.AuditTenantRestarted); len(evs) != 1 || evs[0].Actor != "user:"+userID || evs[0].Target != app {
		t.Fatalf("restart audited as %+v", evs)
	}
	if err := rt.StopMachine(ctx, app, machine); err != nil {
		t.Fatal(err)
	}
	if err := rt.WaitMachine(ctx, app, machine, launchpad.MachineStopped, time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := c.do(http.MethodPost, "/api/me/restart", tok.AccessToken, nil); r.status != http.StatusConflict || !strings.Contains(string(r.body), "not running") {
		t.Fatalf("restart of a stopped agent: %d %s; want 409, left stopped", r.status, r.body)
	}

	rb := decodeAction(t, c.do(http.MethodPost, "/api/me/rebuild", tok.AccessToken, nil), http.StatusAccepted)
	if rb.Action != "rebuild" || rb.Generation != 1 || rb.Job == nil {
		t.Fatalf("rebuild answers %+v", rb)
	}
	if evs := mustAudit(t, e.store, userID, launchpad.AuditTenantRebuilt); len(evs) != 1 || evs[0].Actor != "user:"+userID {
		t.Fatalf("rebuild audited as %+v", evs)
	}

	const secret = "sk-or-v1-ines-own-key-0123456789abcdef"
	for _, bad := range []string{"", "two words", strings.Repeat("k", 600)} {
		r := c.do(http.MethodPut, "/api/me/byok", tok.AccessToken, map[string]string{"key": bad})
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "key") {
			t.Errorf("BYOK %q: %d %s; want 400 naming the key", launchpad.Clip(bad, 20), r.status, r.body)
		}
	}
	if _, err := e.store.UpdateUser(ctx, userID, func(u *launchpad.User) error { u.OpenRouterKeyHash = "orhash-ines"; return nil }); err != nil {
		t.Fatal(err)
	}
	set := c.do(http.MethodPut, "/api/me/byok", tok.AccessToken, map[string]string{"key": secret})
	stored := decodeAction(t, set, http.StatusAccepted)
	if stored.Action != "byok_stored" || stored.Job == nil {
		t.Fatalf("BYOK set answers %+v", stored)
	}
	u, err := e.store.GetUser(ctx, userID)
	if err != nil || u.BYOKKey == "" || strings.Contains(u.BYOKKey, secret) {
		t.Fatalf("the BYOK key is not stored sealed: %v", err)
	}
	// Replacing it rotates the sub-key when there is one, so the apply delivers the new key.
	replaced := decodeAction(t, c.do(http.MethodPut, "/api/me/byok", tok.AccessToken, map[string]string{"key": secret + "-2"}), http.StatusAccepted)
	if replaced.Action != "byok_stored" || replaced.Generation != 1 {
		t.Fatalf("BYOK replace answers %+v", replaced)
	}
	removed := decodeAction(t, c.do(http.MethodDelete, "/api/me/byok", tok.AccessToken, nil), http.StatusAccepted)
	if removed.Action != "byok_removed" {
		t.Fatalf("BYOK remove answers %+v", removed)
	}
	if u, _ := e.store.GetUser(ctx, userID); u.BYOKKey != "" || u.Control.KeyRotationGeneration != 1 {
		t.Fatal("the BYOK key was not removed")
	}
	if r := c.do(http.MethodDelete, "/api/me/byok", tok.AccessToken, nil); r.status != http.StatusNotFound {
		t.Fatalf("removing a key that is not there: %d %s", r.status, r.body)
	}
	storedEvs := mustAudit(t, e.store, userID, launchpad.AuditBYOKStored)
	if len(storedEvs) != 2 || storedEvs[0].Details["replaced"] != "false" || storedEvs[1].Details["replaced"] != "true" {
		t.Fatalf("BYOK stores audited as %+v", storedEvs)
	}
	if len(mustAudit(t, e.store, userID, launchpad.AuditBYOKRemoved)) != 1 {
		t.Fatal("the BYOK removal is not audited")
	}
	all, err := e.store.ListAudit(ctx, launchpad.AuditFilter{Stream: userID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		for k, v := range ev.Details {
			if strings.Contains(v, "ines-own-key") {
				t.Fatalf("audit event %s holds the BYOK key in %s", ev.Action, k)
			}
		}
	}
	if strings.Contains(string(set.body), "ines-own-key") {
		t.Fatal("the answer echoes the key")
	}
	e.assertLogsFree(secret, secret+"-2")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A browser (Accept: text/html) asking for a page that does not exist gets the dashboard's
// HTML 404 page with the security headers, and a failed request its 500 page; an API client, or any path under /api/, keeps
// the JSON error.
func TestUnknownPageIsHTMLForBrowsers(t *testing.T) {
	env := newTestEnv(t)
	get := func(path, accept string) *response {
		req, _ := http.NewRequest(http.MethodGet, env.srv.URL()+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, res.Body)
		return &response{status: res.StatusCode, header: res.Header, body: []byte(b.String())}
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	page := get("/no-such-page", browser)
	if page.status != http.StatusNotFound || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page.body), "There is no page at this address") || page.header.Get("Content-Security-Policy") == "" {
		t.Fatalf("browser 404: %d %v\n%s", page.status, page.header, page.body)
	}
	// A panic answers a browser with the 500 page and the request id to quote.
	h := env.srv.instrument(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("Accept", browser)
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), rec.Header().Get("X-Request-Id")) {
		t.Fatalf("browser 500: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	for _, tc := range []struct{ path, accept string }{{"/no-such-page", ""}, {"/no-such-page", "application/json"}, {"/api/nope", browser}} {
		r := get(tc.path, tc.accept)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s (Accept %q): %d %s, want the JSON 404", tc.path, tc.accept, r.status, r.header.Get("Content-Type"))
		}
	}
}

// startedTenant makes userID's tenant on the Fly simulator (an app and a started machine)
// and records it, as a first apply would, returning the app and the machine id.
func (e *testEnv) startedTenant(t *testing.T, rt launchpad.Runtime, userID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	app := "lp-hermes-" + strings.ToLower(userID[:8]) + "-t1"
	if _, err := rt.CreateApp(ctx, launchpad.AppSpec{Name: app, Org: "acme", Network: app}); err != nil {
		t.Fatal(err)
	}
	m, err := rt.CreateMachine(ctx, app, launchpad.MachineSpec{Name: "agent", Region: "iad", Image: "registry.fly.io/hermes:1",
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	// Fly answers a create before the machine has started.
	if err := rt.WaitMachine(ctx, app, m.ID, launchpad.MachineStarted, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateTenant(ctx, &launchpad.Tenant{AppName: app, UserID: userID, Product: "hermes", Region: "iad", Plan: "starter",
		Image: "registry.fly.io/hermes:1", Network: app, MachineID: m.ID}); err != nil {
		t.Fatal(err)
	}
	return app, m.ID
}
