package controlplane

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// adminAs sends an admin request naming the operator (X-Launchpad-Operator, as the exec CLI
// does; "" sends none).
func (c *client) adminAs(method, path, operatorName string, body any) *response {
	c.env.t.Helper()
	var h map[string]string
	if operatorName != "" {
		h = map[string]string{operator.OperatorHeader: operatorName}
	}
	return c.doWith(method, path, c.env.cfg.AdminToken, h, body)
}

// subscribed gives a user an active subscription on plan starter and a sub-key hash, as
// the billing processor and the provider would have.
func (e *testEnv) subscribed(userID string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.store.GetPlan(ctx, "starter"); launchpad.IsNotFound(err) {
		if err := e.store.CreatePlan(ctx, &launchpad.Plan{Name: "starter", MonthlySpendLimitUSD: 10, MachineHoursPerCycle: 100, VolumeSizeGB: 5,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.store.GetUser(ctx, userID); launchpad.IsNotFound(err) {
		if err := e.store.CreateUser(ctx, &launchpad.User{ID: userID, Plan: launchpad.TrialPlan}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.store.UpdateUser(ctx, userID, func(u *launchpad.User) error {
		u.Plan, u.OpenRouterKeyHash = "starter", "orhash-"+userID
		u.Subscription = launchpad.Subscription{Status: "active", Plan: "starter", StripeCustomerID: "cus_" + userID}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func decodeAction(t *testing.T, r *response, status int) *TenantActionResponse {
	t.Helper()
	mustStatus(t, r, status)
	var a TenantActionResponse
	r.decode(t, &a)
	return &a
}

// The tenant actions without Fly or OpenRouter configured: exec and revoke-key answer 503
// saying what to set; rotate-key and rebuild only need the store and the queue. Each request
// bumps its generation, supersedes the queued apply, and is audited with the operator the
// header names. Bad requests are refused with what is wrong.
func TestTenantActionsOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	c := e.newClient("ops-cli")
	const user = "dora01"
	e.subscribed(user)

	r := c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/exec", "ops-ann", map[string]any{"command": []string{"ls"}})
	if r.status != http.StatusServiceUnavailable || r.errorCode(t) != launchpad.EUNAVAILABLE || !strings.Contains(string(r.body), "FLY_API_TOKEN") {
		t.Fatalf("exec without Fly: %d %s", r.status, r.body)
	}
	r = c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/revoke-key", "ops-ann", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "OPENROUTER_MANAGEMENT_KEY") {
		t.Fatalf("revoke-key without OpenRouter: %d %s", r.status, r.body)
	}

	first := decodeAction(t, c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/rotate-key", "ops-ann", nil), http.StatusAccepted)
	second := decodeAction(t, c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/rotate-key", "", nil), http.StatusAccepted)
	if first.Action != "key_rotation" || first.Generation != 1 || second.Generation != 2 || first.Job == nil || second.Job == nil || first.AuditEventID == "" {
		t.Fatalf("rotate-key answers %+v then %+v", first, second)
	}
	if second.Job.Apply == nil || second.Job.Apply.Plan != "starter" || second.Job.Apply.Reason != launchpad.ReasonKeyRotation {
		t.Fatalf("the rotation's apply job %+v", second.Job)
	}
	j, err := e.store.GetJob(context.Background(), first.Job.ID)
	if err != nil || j.Status != launchpad.JobSuperseded {
		t.Fatalf("the first rotation's queued apply is %q (%v); want superseded by the second", j.Status, err)
	}
	j, _ = e.store.GetJob(context.Background(), second.Job.ID)
	if d, err := launchpad.ParseApplyRequest(j.Payload); err != nil || d.KeyRotation != 2 || d.Rebuild != 0 {
		t.Fatalf("the second rotation's apply carries %+v (%v); want key rotation 2", d, err)
	}
	if r := c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/rebuild", "ops-ben", nil); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "no tenant") {
		t.Fatalf("rebuild without a tenant: %d %s", r.status, r.body)
	}
	if err := e.store.CreateTenant(context.Background(), &launchpad.Tenant{AppName: "lp-hermes-dora01-t1", UserID: user, Product: "hermes",
		Region: "iad", Plan: "starter", Image: "registry.fly.io/hermes:1", Network: "lp-hermes-dora01-t1", MachineID: "m1"}); err != nil {
		t.Fatal(err)
	}
	rb := decodeAction(t, c.adminAs(http.MethodPost, "/api/admin/tenants/"+user+"/rebuild", "ops-ben", nil), http.StatusAccepted)
	if rb.Action != "rebuild" || rb.Generation != 1 || rb.Job == nil {
		t.Fatalf("rebuild answers %+v", rb)
	}
	j, _ = e.store.GetJob(context.Background(), rb.Job.ID)
	if d, _ := launchpad.ParseApplyRequest(j.Payload); d.KeyRotation != 2 || d.Rebuild != 1 || d.Reason != launchpad.ReasonRebuild {
		t.Fatalf("the rebuild's apply carries %+v; want both generations", d)
	}
	u, _ := e.store.GetUser(context.Background(), user)
	if u.Control.KeyRotationGeneration != 2 || u.Control.RebuildGeneration != 1 {
		t.Fatalf("stored generations %+v", u.Control)
	}

	// Audited, in order, with the operator.
	events, err := e.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: user})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.Actor+" "+ev.Action+" "+ev.Details["phase"]+" "+ev.Details["generation"])
	}
	want := []string{"operator:ops-ann key.rotated requested 1", "operator:admin-token key.rotated requested 2", "operator:ops-ben tenant.rebuild requested 1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit stream %q; want %q", got, want)
	}

	// Refusals.
	for _, tc := range []struct {
		path, operator string
		status         int
		mentions       string
	}{
		{"/api/admin/tenants/nobody/rotate-key", "", http.StatusNotFound, "no user nobody"},
		{"/api/admin/tenants/nobody/rebuild", "", http.StatusNotFound, "no user nobody"},
		{"/api/admin/tenants/..%2Fx/rotate-key", "", http.StatusBadRequest, "user id"},
		{"/api/admin/tenants/" + user + "/rotate-key", "system:eve", http.StatusBadRequest, "operator name"},
		{"/api/admin/tenants/" + user + "/rotate-key?force=1", "", http.StatusBadRequest, "force"},
	} {
		r := c.adminAs(http.MethodPost, tc.path, tc.operator, nil)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.mentions) {
			t.Errorf("POST %s (operator %q): %d %s; want %d mentioning %q", tc.path, tc.operator, r.status, r.body, tc.status, tc.mentions)
		}
	}
	if err := e.store.CreateUser(context.Background(), &launchpad.User{ID: "trial01", Plan: launchpad.TrialPlan, OpenRouterKeyHash: "orhash-t"}); err != nil {
		t.Fatal(err)
	}
	if r := c.adminAs(http.MethodPost, "/api/admin/tenants/trial01/rotate-key", "", nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "no subscription") {
		t.Errorf("rotate-key of a user without a subscription: %d %s", r.status, r.body)
	}
	e.subscribed("nokey01")
	if _, err := e.store.UpdateUser(context.Background(), "nokey01", func(u *launchpad.User) error { u.OpenRouterKeyHash = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if r := c.adminAs(http.MethodPost, "/api/admin/tenants/nokey01/rotate-key", "", nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "no sub-key") {
		t.Errorf("rotate-key of a user without a key: %d %s", r.status, r.body)
	}
	if u, _ := e.store.GetUser(context.Background(), "trial01"); u.Control.KeyRotationGeneration != 0 {
		t.Errorf("a refused rotation bumped the generation to %d", u.Control.KeyRotationGeneration)
	}
	if r := c.do(http.MethodPost, "/api/admin/tenants/"+user+"/rotate-key", "not-the-admin-token", nil); r.status != http.StatusUnauthorized {
		t.Errorf("rotate-key without the admin token: %d", r.status)
	}
}

// A signed-in user rotates their own key: audited as themselves, and limited to three
// attempts, then one per ten minutes (429 with Retry-After); a refused attempt counts.
func TestMeRotateKeyIsTheUsersOwnAndRateLimited(t *testing.T) {
	e := newTestEnv(t)
	c, tok, userID := e.signedIn("browser", "rita@example.com")
	if r := c.do(http.MethodPost, "/api/me/rotate-key", tok.AccessToken, nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "no sub") {
		t.Fatalf("rotate-key before a subscription: %d %s", r.status, r.body)
	}
	e.subscribed(userID)
	for i := 1; i <= 2; i++ {
		a := decodeAction(t, c.do(http.MethodPost, "/api/me/rotate-key", tok.AccessToken, nil), http.StatusAccepted)
		if a.Generation != int64(i) || a.UserID != userID {
			t.Fatalf("rotation %d: %+v", i, a)
		}
	}
	r := c.do(http.MethodPost, "/api/me/rotate-key", tok.AccessToken, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.errorCode(t) != launchpad.ERATELIMITED {
		t.Fatalf("a fourth rotation: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}
	e.clock.Advance(10 * time.Minute)
	decodeAction(t, c.do(http.MethodPost, "/api/me/rotate-key", tok.AccessToken, nil), http.StatusAccepted)
	for _, ev := range mustAudit(t, e.store, userID, launchpad.AuditKeyRotated) {
		if ev.Actor != "user:"+userID {
			t.Fatalf("a user's own rotation is audited as %q", ev.Actor)
		}
	}
	if r := c.do(http.MethodPost, "/api/me/rotate-key", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("rotate-key signed out: %d", r.status)
	}
}

func mustAudit(t *testing.T, st launchpad.Store, stream, action string) []*launchpad.AuditEvent {
	t.Helper()
	events, err := st.ListAudit(context.Background(), launchpad.AuditFilter{Stream: stream, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*launchpad.AuditEvent
	for _, ev := range events {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s event in %s's stream", action, stream)
	}
	return out
}

// failingAudit is a store whose operator.exec audit writes fail while fail is set.
type failingAudit struct {
	launchpad.Store
	fail atomic.Bool
}

func (f *failingAudit) AppendAudit(ctx context.Context, e *launchpad.AuditEvent) (*launchpad.AuditEvent, error) {
	if f.fail.Load() && e.Action == launchpad.AuditOperatorExec {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the audit log is unavailable (injected)")
	}
	return f.Store.AppendAudit(ctx, e)
}

// Operator exec over HTTP against the Fly simulator: the requested event (operator, command)
// is in the user's audit stream before the command runs — the simulator's exec reads the
// stream when the command arrives — and the user reads it with GET /api/audit; when the audit
// write fails, the command never reaches the machine.
func TestExecIsAuditedBeforeItRuns(t *testing.T) {
	flySim := simtest.StartFly(t, sim.FlyOptions{})
	rt, err := fly.New(context.Background(), fly.Config{BaseURL: flySim.URL, Token: flySim.Token, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var st *failingAudit
	e := newTestEnvDeps(t, func(d *Deps) {
		st = &failingAudit{Store: d.Store}
		d.Store, d.Runtime = st, rt
	})
	c, tok, userID := e.signedIn("browser", "omar@example.com")

	app, machineID := e.startedTenant(t, rt, userID)

	var auditedFirst atomic.Bool
	flySim.Sim.ExecHook(func(app, machine string, cmd []string) (string, string, int) {
		events, err := e.store.ListAudit(context.Background(), launchpad.AuditFilter{Stream: userID, Limit: 1000})
		for _, ev := range events {
			if err == nil && ev.Action == launchpad.AuditOperatorExec && ev.Details["phase"] == "requested" && ev.Details["command"] == `["ls","-la","/workspace"]` {
				auditedFirst.Store(true)
			}
		}
		return "total 0\n", "", 0
	})

	r := c.adminAs(http.MethodPost, "/api/admin/tenants/"+userID+"/exec", "ops-kim", map[string]any{"command": []string{"ls", "-la", "/workspace"}})
	mustStatus(t, r, http.StatusOK)
	var out operator.ExecResponse
	r.decode(t, &out)
	if out.ExitCode != 0 || out.Stdout != "total 0\n" || out.Machine != machineID || out.AuditEventID == "" {
		t.Fatalf("exec answered %+v", out)
	}
	if !auditedFirst.Load() {
		t.Fatal("the command ran before its audit event was in the user's stream")
	}

	// The user sees it, with the operator and the command.
	r = c.get("/api/audit", tok.AccessToken)
	mustStatus(t, r, http.StatusOK)
	var page AuditPage
	r.decode(t, &page)
	var phases []string
	for _, ev := range page.Events {
		if ev.Action == launchpad.AuditOperatorExec {
			if ev.Actor != "operator:ops-kim" || ev.Target != app {
				t.Fatalf("exec event in the user's audit: %+v", ev)
			}
			phases = append(phases, ev.Details["phase"])
			if ev.Details["phase"] == "requested" && ev.Details["command"] != `["ls","-la","/workspace"]` {
				t.Fatalf("requested event without the command: %+v", ev)
			}
		}
	}
	if strings.Join(phases, ",") != "completed,requested" { // newest first
		t.Fatalf("exec events in GET /api/audit: %v; want requested then completed", phases)
	}

	// The audit log fails: 503, and nothing runs.
	st.fail.Store(true)
	r = c.adminAs(http.MethodPost, "/api/admin/tenants/"+userID+"/exec", "ops-kim", map[string]any{"command": []string{"rm", "-rf", "/workspace/x"}})
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "was not run") {
		t.Fatalf("exec with the audit log down: %d %s", r.status, r.body)
	}
	for _, a := range flySim.Sim.Snapshot().Apps {
		for _, mm := range a.Machines {
			for _, x := range mm.Execs {
				if strings.Join(x.Cmd, " ") == "rm -rf /workspace/x" {
					t.Fatal("the command ran although its audit event could not be written")
				}
			}
		}
	}
	if r := c.adminAs(http.MethodPost, "/api/admin/tenants/"+userID+"/exec", "", map[string]any{"command": []string{"ls"}}); r.status != http.StatusBadRequest {
		t.Fatalf("exec without naming the operator: %d %s", r.status, r.body)
	}
}
