package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// fakeAgent records the agent page's calls; stepUp refuses the step-up actions when set.
type fakeAgent struct {
	mu     sync.Mutex
	calls  []string
	keys   []string
	stepUp bool
}

func (a *fakeAgent) record(call string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, call)
	return nil
}

func (a *fakeAgent) Restart(*http.Request, *launchpad.Session) error   { return a.record("restart") }
func (a *fakeAgent) Rebuild(*http.Request, *launchpad.Session) error   { return a.record("rebuild") }
func (a *fakeAgent) RotateKey(*http.Request, *launchpad.Session) error { return a.record("rotate") }
func (a *fakeAgent) Reset(*http.Request, *launchpad.Session) error {
	if a.stepUp {
		return launchpad.Errorf(launchpad.ESTEPUP, "needs a recent sign-in")
	}
	return a.record("reset")
}

func (a *fakeAgent) SetBYOK(_ *http.Request, _ *launchpad.Session, key string) error {
	if a.stepUp {
		return launchpad.Errorf(launchpad.ESTEPUP, "needs a recent sign-in")
	}
	a.mu.Lock()
	a.keys = append(a.keys, key)
	a.mu.Unlock()
	return a.record("byok")
}

func (a *fakeAgent) Logs(_ context.Context, app string, max int) ([]*launchpad.LogLine, error) {
	return []*launchpad.LogLine{
		{Time: time.Date(2026, 12, 7, 10, 0, 1, 0, time.UTC), Level: "info", Message: "agent <b>listening</b> on :8080", Instance: app},
	}, nil
}

func (a *fakeAgent) called() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

// The agent page shows the agent's address, size, region, key source and logs (escaped), and
// each form calls the control plane's action and comes back with its confirmation; an action
// refused for want of a recent sign-in goes to the step-up card; the BYOK key is never on a
// page; without an agent the page says so.
func TestAgentPage(t *testing.T) {
	ag := &fakeAgent{}
	e := newEnvDeps(t, func(d *Deps) { d.Agent = ag })
	b := e.browser()
	b.signIn("ada@example.com")
	none := b.get("/agent").mustStatus(t, http.StatusOK)
	if !strings.Contains(none.body, `id="agent-none"`) || strings.Contains(none.body, `id="agent-restart"`) {
		t.Fatal("an account without an agent is offered actions")
	}
	ctx := context.Background()
	u, err := e.store.GetUserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreatePlan(ctx, &launchpad.Plan{Name: "pro", Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}, VolumeSizeGB: 10, MachineHoursPerCycle: 100}); err != nil {
		t.Fatal(err)
	}
	app := "lp-hermes-ada-t1"
	if err := e.store.CreateTenant(ctx, &launchpad.Tenant{AppName: app, UserID: u.ID, Product: "hermes", Region: "ams", Plan: "pro",
		Image: "img", Network: app, MachineID: "m1", KeySource: launchpad.KeySourceSubKey, MachineState: launchpad.MachineStarted}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/agent").mustStatus(t, http.StatusOK)
	for _, want := range []string{`href="https://` + app + `.fly.dev"`, "2 shared CPUs, 2 GB memory, 10 GB disk", "<code>ams</code>",
		"a key Launchpad made for your agent", "agent &lt;b&gt;listening&lt;/b&gt; on :8080", "7 Dec 10:00:01 UTC", `aria-current="page">Agent`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("agent page lacks %q", want)
		}
	}
	tok := p.csrf(t)
	b.post("/agent/restart", url.Values{"csrf_token": {tok}}).mustRedirect(t, "/agent?done=restarted")
	b.post("/agent/rebuild", url.Values{"csrf_token": {tok}}).mustRedirect(t, "/agent?done=rebuilt")
	b.post("/agent/rotate-key", url.Values{"csrf_token": {tok}}).mustRedirect(t, "/agent?done=key_rotated")
	b.post("/agent/reset", url.Values{"csrf_token": {tok}}).mustStatus(t, http.StatusBadRequest) // not confirmed
	b.post("/agent/reset", url.Values{"csrf_token": {tok}, "confirm": {"reset"}}).mustRedirect(t, "/agent?done=reset")
	b.post("/agent/byok", url.Values{"csrf_token": {tok}, "key": {""}}).mustStatus(t, http.StatusBadRequest)
	const key = "sk-or-v1-page-test-key-0123456789"
	b.post("/agent/byok", url.Values{"csrf_token": {tok}, "key": {key}}).mustRedirect(t, "/agent?done=byok_stored")
	b.post("/agent/byok/remove", url.Values{"csrf_token": {tok}}).mustRedirect(t, "/agent?done=byok_removed")
	b.post("/agent/restart", url.Values{"csrf_token": {"forged"}}).mustStatus(t, http.StatusForbidden)
	if got := strings.Join(ag.called(), ","); got != "restart,rebuild,rotate,reset,byok,byok" {
		t.Fatalf("the agent was asked %s", got)
	}
	if ag.keys[0] != key || ag.keys[1] != "" {
		t.Fatalf("BYOK calls %q", ag.keys)
	}
	done := b.get("/agent?done=byok_stored").mustStatus(t, http.StatusOK)
	if !strings.Contains(done.body, "cannot be shown again") || strings.Contains(done.body, key) {
		t.Fatal("the BYOK confirmation is missing or the key is on the page")
	}
	ag.stepUp = true
	b.post("/agent/reset", url.Values{"csrf_token": {tok}, "confirm": {"reset"}}).mustRedirect(t, "/security?done=step_up_required#step-up")
}

// A signed-in browser asking for a page that does not exist keeps the layout and the nav
// on the error page; every audit action constant has a label; the download carries the
// stream as JSON and CSV with labels and raw names, the runner named Launchpad.
func TestAuditLabelsAndDownload(t *testing.T) {
	for _, c := range auditActionConstants(t) {
		if _, ok := actionLabels[c.value]; !ok {
			t.Errorf("audit action %s (%q) has no label in actionLabels", c.name, c.value)
		}
	}
	e := newEnv(t)
	b := e.browser()
	b.signIn("bo@example.com")
	ctx := context.Background()
	u, err := e.store.GetUserByEmail(ctx, "bo@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AppendAudit(ctx, &launchpad.AuditEvent{Stream: u.ID, Time: time.Now(), Actor: launchpad.ActorTerraform,
		Action: launchpad.AuditTenantSuspended, Target: "lp-x", Details: map[string]string{"reason": "=cmd|' /C calc'!A0"}}); err != nil {
		t.Fatal(err)
	}
	page := b.get("/audit").mustStatus(t, http.StatusOK)
	if !strings.Contains(page.body, "Agent stopped: payment overdue") || strings.Contains(page.body, ">terraform<") || !strings.Contains(page.body, "<details>") {
		t.Fatal("the audit page shows raw names, the runner as terraform, or details without a toggle")
	}
	filtered := b.get("/audit?kind=agent").mustStatus(t, http.StatusOK)
	if !strings.Contains(filtered.body, "Agent stopped") || strings.Contains(filtered.body, "<span class=\"action\">Signed in") {
		t.Fatal("the agent filter shows the wrong events")
	}
	b.get("/audit?kind=nope").mustStatus(t, http.StatusBadRequest)

	js := b.get("/audit/download?format=json").mustStatus(t, http.StatusOK)
	if !strings.Contains(js.header.Get("Content-Disposition"), "attachment") {
		t.Fatal("the JSON download is not a file")
	}
	var rows []auditExportRow
	if err := json.Unmarshal([]byte(js.body), &rows); err != nil || len(rows) < 1 {
		t.Fatalf("JSON download: %v, %d rows", err, len(rows))
	}
	last := rows[len(rows)-1]
	if last.Who != "Launchpad" || last.What != "Agent stopped: payment overdue" || last.Action != launchpad.AuditTenantSuspended || last.Hash == "" {
		t.Fatalf("last JSON row %+v", last)
	}
	cv := b.get("/audit/download?format=csv").mustStatus(t, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(cv.body)).ReadAll()
	if err != nil || len(recs) != len(rows)+1 || recs[0][0] != "seq" {
		t.Fatalf("CSV download: %v, %d records", err, len(recs))
	}
	if d := recs[len(recs)-1][6]; !strings.HasPrefix(d, "reason='=cmd") && !strings.HasPrefix(d, "reason==cmd") {
		t.Fatalf("CSV details cell %q", d)
	}
	b.get("/audit/download?format=xml").mustStatus(t, http.StatusBadRequest)

	nf := httptestNotFound(t, e, b)
	if !strings.Contains(nf, `aria-label="Dashboard"`) || !strings.Contains(nf, "There is no page at this address") {
		t.Fatalf("the 404 page lacks the nav or its words:\n%s", nf)
	}
}

// httptestNotFound asks the dashboard's NotFound for a page, with b's cookies.
func httptestNotFound(t *testing.T, e *env, b *browser) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/no-such-page", nil)
	for _, c := range b.hc.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.NotFound(rec, req)
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("NotFound answered %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.String()
}
