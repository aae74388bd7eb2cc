package controlplane

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// adminGet and adminPost call the admin API of a test server with its token.
func (c *client) admin(method, path string, body any) *response {
	return c.do(method, path, c.env.cfg.AdminToken, body)
}

// enqueue stores a job as a control plane would.
func (e *testEnv) enqueue(kind, key string, payload []byte) *launchpad.Job {
	e.t.Helper()
	j, err := e.store.EnqueueJob(context.Background(), &launchpad.Job{Kind: kind, Key: key, Payload: payload, Supersede: kind == launchpad.JobApply})
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// claim takes the next job as worker "w", as a worker of the pool would.
func (e *testEnv) claim(kind string) *launchpad.Job {
	e.t.Helper()
	j, err := e.store.ClaimJob(context.Background(), launchpad.JobClaim{Worker: "w", Kinds: []string{kind}, Lease: time.Hour, Now: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func TestAdminJobsAPI(t *testing.T) {
	env := newTestEnv(t)
	c := env.newClient("ops")
	ctx := context.Background()
	applyA := env.enqueue(launchpad.JobApply, "alice01", launchpad.ApplyRequest{UserID: "alice01", Plan: "starter", Reason: launchpad.ReasonSubscription}.Payload())
	env.clock.Advance(time.Second)
	env.enqueue(launchpad.JobStripeEvent, "customer:cus_1", []byte(`{"event_id":"evt_1"}`))
	env.clock.Advance(time.Second)
	applyB := env.enqueue(launchpad.JobApply, "bob02", launchpad.ApplyRequest{UserID: "bob02", Destroy: true, Reason: launchpad.ReasonEnded}.Payload())
	claimed := env.claim(launchpad.JobApply)
	if claimed.ID != applyA.ID {
		t.Fatalf("claimed %s, want the older apply %s", claimed.ID, applyA.ID)
	}
	env.clock.Advance(1500 * time.Millisecond)
	if _, err := env.store.FinishJob(ctx, applyA.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded, Summary: launchpad.PlanSummary{Add: 2}}, env.clock.Now()); err != nil {
		t.Fatal(err)
	}

	list := func(q string) []JobJSON {
		t.Helper()
		r := c.admin(http.MethodGet, "/api/admin/jobs"+q, nil)
		mustStatus(t, r, http.StatusOK)
		var l JobList
		r.decode(t, &l)
		return l.Jobs
	}
	if js := list(""); len(js) != 3 || js[0].ID != applyB.ID || js[2].ID != applyA.ID {
		t.Fatalf("all jobs, newest first: %+v", js)
	}
	js := list("?user_id=alice01")
	if len(js) != 1 {
		t.Fatalf("alice's jobs: %+v", js)
	}
	a := js[0]
	if a.Status != launchpad.JobSucceeded || a.Attempts != 1 || a.MaxAttempts != launchpad.DefaultJobMaxAttempts || a.Summary != (SummaryJSON{Add: 2}) ||
		a.StartedAt == nil || a.FinishedAt == nil || a.DurationMS == nil || *a.DurationMS != 1500 || a.Worker != "w" || a.LeaseExpiresAt != nil ||
		a.Apply == nil || a.Apply.Plan != "starter" || a.Apply.Destroy || a.Apply.Reason != launchpad.ReasonSubscription {
		t.Fatalf("alice's apply job as listed: %+v", a)
	}
	if js := list("?status=queued&kind=apply"); len(js) != 1 || js[0].ID != applyB.ID || !js[0].Apply.Destroy || js[0].StartedAt != nil {
		t.Fatalf("queued applies: %+v", js)
	}
	if js := list("?kind=stripe_event"); len(js) != 1 || string(js[0].Payload) != `{"event_id":"evt_1"}` || js[0].Apply != nil {
		t.Fatalf("stripe event jobs: %+v", js)
	}
	if js := list("?limit=1"); len(js) != 1 || js[0].ID != applyB.ID {
		t.Fatalf("limit=1: %+v", js)
	}
	r := c.admin(http.MethodGet, "/api/admin/jobs/"+applyA.ID, nil)
	mustStatus(t, r, http.StatusOK)
	var one JobJSON
	r.decode(t, &one)
	if one.ID != applyA.ID || one.Summary != (SummaryJSON{Add: 2}) {
		t.Fatalf("one job: %+v", one)
	}

	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		code, mentions            string
	}{
		{"no token", "GET", "/api/admin/jobs", "-", 401, "unauthorized", "LAUNCHPAD_ADMIN_TOKEN"},
		{"a user's token is not the admin's", "GET", "/api/admin/jobs/" + applyA.ID, "not-the-admin-token", 401, "unauthorized", ""},
		{"log without token", "GET", "/api/admin/jobs/" + applyA.ID + "/log", "-", 401, "unauthorized", ""},
		{"apply without token", "POST", "/api/admin/tenants/alice01/apply", "-", 401, "unauthorized", ""},
		{"unknown job", "GET", "/api/admin/jobs/nosuchjob0123456789", "", 404, "not_found", "nosuchjob0123456789"},
		{"unknown job's log", "GET", "/api/admin/jobs/nosuchjob0123456789/log", "", 404, "not_found", "no job"},
		{"job id with a dot", "GET", "/api/admin/jobs/a.b", "", 400, "invalid", "job id"},
		{"job id that is a path", "GET", "/api/admin/jobs/..%2F..%2Fetc/log", "", 400, "invalid", "job id"},
		{"job id too long", "GET", "/api/admin/jobs/" + strings.Repeat("a", 65), "", 400, "invalid", "job id"},
		{"bad user id", "GET", "/api/admin/jobs?user_id=..%2Fx", "", 400, "invalid", "user id"},
		{"unknown status", "GET", "/api/admin/jobs?status=done", "", 400, "invalid", "queued"},
		{"unknown kind", "GET", "/api/admin/jobs?kind=mine", "", 400, "invalid", "apply"},
		{"limit zero", "GET", "/api/admin/jobs?limit=0", "", 400, "invalid", "limit"},
		{"limit too big", "GET", "/api/admin/jobs?limit=501", "", 400, "invalid", "500"},
		{"misspelt filter", "GET", "/api/admin/jobs?user=alice01", "", 400, "invalid", "user_id"},
		{"filter given twice", "GET", "/api/admin/jobs?status=queued&status=failed", "", 400, "invalid", "once"},
		{"follow not a bool", "GET", "/api/admin/jobs/" + applyA.ID + "/log?follow=maybe", "", 400, "invalid", "follow"},
		{"apply for nobody", "POST", "/api/admin/tenants/nobody42/apply", "", 404, "not_found", "nobody42"},
		{"apply for a bad id", "POST", "/api/admin/tenants/a.b/apply", "", 400, "invalid", "user id"},
		{"apply for a user without a subscription", "POST", "/api/admin/tenants/trial01/apply", "", 400, "invalid", "no subscription"},
		{"wrong method", "DELETE", "/api/admin/jobs/" + applyA.ID, "", 405, "method_not_allowed", "GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := env.store.CreateUser(ctx, &launchpad.User{ID: "trial01", Email: "trial@example.com", Plan: launchpad.TrialPlan}); err != nil && !launchpad.IsConflict(err) {
				t.Fatal(err)
			}
			token := env.cfg.AdminToken
			switch tc.token {
			case "-":
				token = ""
			case "":
			default:
				token = tc.token
			}
			r := c.do(tc.method, tc.path, token, nil)
			if r.status != tc.status || r.errorCode(t) != tc.code || !strings.Contains(string(r.body), tc.mentions) {
				t.Fatalf("%s %s: %d %s; want %d %s mentioning %q", tc.method, tc.path, r.status, r.body, tc.status, tc.code, tc.mentions)
			}
		})
	}

	// The plain log, and the re-trigger of a paying user's apply (no workers here: it waits).
	if err := env.store.AppendJobLog(ctx, applyA.ID, []byte("tofu plan\nApply complete!\n")); err != nil {
		t.Fatal(err)
	}
	r = c.admin(http.MethodGet, "/api/admin/jobs/"+applyA.ID+"/log?follow=false", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/plain; charset=utf-8" || string(r.body) != "tofu plan\nApply complete!\n" {
		t.Fatalf("plain log: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if err := env.store.CreateUser(ctx, &launchpad.User{ID: "carol03", Email: "carol@example.com", Plan: "pro",
		Subscription: launchpad.Subscription{Status: "active", Plan: "pro", StripeCustomerID: "cus_3"}}); err != nil {
		t.Fatal(err)
	}
	r = c.admin(http.MethodPost, "/api/admin/tenants/carol03/apply", nil)
	mustStatus(t, r, http.StatusAccepted)
	var queued JobJSON
	r.decode(t, &queued)
	if queued.Status != launchpad.JobQueued || queued.Kind != launchpad.JobApply || queued.Key != "carol03" || queued.Apply == nil || queued.Apply.Plan != "pro" || queued.Apply.Reason != launchpad.ReasonAdmin {
		t.Fatalf("re-triggered job: %+v", queued)
	}
	if r := c.admin(http.MethodPost, "/api/admin/tenants/carol03/apply", `{"force":true}`); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "force") {
		t.Fatalf("a body with an unknown field: %d %s", r.status, r.body)
	}
}

// TestJobLogStreamsWhileTheJobRuns plays a worker by hand: the stream shows the job's status,
// each log line as it is written (a line is sent once it is whole), and the job at the end;
// a client that reconnects with Last-Event-ID gets only what it missed; Close ends a stream
// that would otherwise follow a job forever.
func TestJobLogStreamsWhileTheJobRuns(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	job := env.enqueue(launchpad.JobApply, "alice01", launchpad.ApplyRequest{UserID: "alice01", Plan: "starter"}.Payload())
	open := func(id, lastEventID string) (<-chan sseEvent, func()) {
		t.Helper()
		sctx, cancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, env.srv.URL()+"/api/admin/jobs/"+id+"/log", nil)
		req.Header.Set("Authorization", "Bearer "+env.cfg.AdminToken)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			cancel()
			t.Fatalf("stream: %d", res.StatusCode)
		}
		ch := make(chan sseEvent, 100)
		go func() { defer res.Body.Close(); readSSE(bufio.NewReader(res.Body), ch) }()
		return ch, cancel
	}
	next := func(ch <-chan sseEvent) sseEvent {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended early")
			}
			return ev
		case <-time.After(30 * time.Second):
			t.Fatal("no event within 30s")
			return sseEvent{}
		}
	}
	appendLog := func(s string) {
		t.Helper()
		if err := env.store.AppendJobLog(ctx, job.ID, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}

	events, stop := open(job.ID, "")
	defer stop()
	if ev := next(events); ev.Name != "status" || ev.Data[0] != `{"attempts":0,"status":"queued"}` {
		t.Fatalf("first event %+v", ev)
	}
	env.claim(launchpad.JobApply)
	if ev := next(events); ev.Name != "status" || ev.Data[0] != `{"attempts":1,"status":"running"}` {
		t.Fatalf("after the claim %+v", ev)
	}
	appendLog("launchpad_tenant.this: Creating...\nlaunchpad_tenant.this: Still creat")
	ev := next(events)
	if ev.Name != "log" || len(ev.Data) != 1 || ev.Data[0] != "launchpad_tenant.this: Creating..." || ev.ID != "35" {
		t.Fatalf("first log event %+v; want the whole line only, id 35 (its byte offset)", ev)
	}
	appendLog("ing... [10s elapsed]\r\nbad byte \xff here\n")
	if ev := next(events); ev.Name != "log" || len(ev.Data) != 2 || ev.Data[0] != "launchpad_tenant.this: Still creating... [10s elapsed]" || ev.Data[1] != "bad byte \uFFFD here" {
		t.Fatalf("second log event %+v", ev)
	}
	appendLog("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")
	if _, err := env.store.FinishJob(ctx, job.ID, "w", launchpad.JobResult{Status: launchpad.JobSucceeded, Summary: launchpad.PlanSummary{Add: 2}}, env.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var sawEnd bool
	for !sawEnd {
		ev := next(events)
		switch ev.Name {
		case "status":
		case "log":
			if ev.Data[0] != "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." {
				t.Fatalf("the last, unterminated line: %+v", ev)
			}
		case "end":
			var j JobJSON
			mustJSON(t, ev.Data[0], &j)
			if j.Status != launchpad.JobSucceeded || j.Summary.Add != 2 {
				t.Fatalf("end event %+v", j)
			}
			sawEnd = true
		default:
			t.Fatalf("unexpected event %+v", ev)
		}
	}
	if _, ok := <-events; ok {
		t.Fatal("the stream went on after the end event")
	}

	// Reconnecting after the first line gets the rest only.
	again, stopAgain := open(job.ID, "35")
	defer stopAgain()
	var lines []string
	for ev := range again {
		if ev.Name == "log" {
			lines = append(lines, ev.Data...)
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "launchpad_tenant.this: Still creating") {
		t.Fatalf("resumed stream lines %q", lines)
	}

	// A stream following a job that nobody runs ends when the server closes.
	waiting := env.enqueue(launchpad.JobApply, "bob02", launchpad.ApplyRequest{UserID: "bob02", Plan: "pro"}.Payload())
	stuck, stopStuck := open(waiting.ID, "")
	defer stopStuck()
	next(stuck) // status queued
	if err := env.srv.Close(); err != nil {
		t.Fatalf("Close with a log stream open: %v", err)
	}
	for range stuck {
	}
}
