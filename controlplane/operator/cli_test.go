package operator

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const adminToken = "admin-token-0123456789abcdefghijklmnopqrstuvwxyz"

// server serves HandleExec as the control plane does: on its route, behind an admin-token
// check, with the body decoded and the answer written through package httpjson. (The control
// plane's strict decoding of the body is tested with its other JSON routes.)
func server(t *testing.T, d Deps) *httptest.Server {
	t.Helper()
	handle := HandleExec(d)
	mux := http.NewServeMux()
	mux.Handle("POST /api/admin/tenants/{user_id}/exec", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+adminToken)) != 1 {
			httpjson.Error(w, launchpad.Errorf(launchpad.EUNAUTHORIZED, "send Authorization: Bearer <LAUNCHPAD_ADMIN_TOKEN>"))
			return
		}
		var req ExecRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			httpjson.Error(w, launchpad.Errorf(launchpad.EINVALID, "the request body must be a JSON object"))
			return
		}
		resp, err := handle(w, r, &req)
		if err != nil {
			httpjson.Error(w, err)
			return
		}
		httpjson.Write(w, http.StatusOK, resp)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runExec(context.Background(), args, func(k string) string { return env[k] }, http.DefaultClient, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIRunsThroughTheControlPlane(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	srv := server(t, Deps{Store: f.store, Runtime: f.rt, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	env := map[string]string{"LAUNCHPAD_URL": srv.URL, "LAUNCHPAD_ADMIN_TOKEN": adminToken, "USER": "alice"}

	code, stdout, stderr := runCLI(t, env, "-timeout", "45s", f.userID, "--", "ls", "-la", "/workspace")
	if code != 3 || stdout != "hello from "+f.app+"\n" || !strings.HasPrefix(stderr, "a warning\n") || !strings.Contains(stderr, "exit code 3") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	events := f.audit(t)
	if len(events) != 2 || events[0].Actor != "operator:alice" || events[0].Details["command"] != `["ls","-la","/workspace"]` || events[0].Details["timeout"] != "45s" {
		t.Fatalf("audit %+v", events)
	}
	if !strings.Contains(stderr, events[0].ID) {
		t.Fatalf("stderr does not name the audit event %s:\n%s", events[0].ID, stderr)
	}

	// -operator wins over $USER; "--" is optional.
	if code, _, _ := runCLI(t, env, "-operator", "bob.ops", f.userID, "uptime"); code != 3 {
		t.Fatalf("exit %d", code)
	}
	if events := f.audit(t); events[len(events)-1].Actor != "operator:bob.ops" {
		t.Fatalf("actor %q", events[len(events)-1].Actor)
	}
	if strings.Contains(logs.String(), adminToken) {
		t.Fatal("the admin token reached the log")
	}
}

func TestCLIReportsRefusals(t *testing.T) {
	f := newFixture(t)
	srv := server(t, Deps{Store: failingAudit{f.store}, Runtime: f.rt})
	env := map[string]string{"LAUNCHPAD_URL": srv.URL, "LAUNCHPAD_ADMIN_TOKEN": adminToken, "USER": "alice"}

	code, stdout, stderr := runCLI(t, env, f.userID, "--", "reboot")
	if code != exitControlPlane || stdout != "" || !strings.Contains(stderr, "HTTP 503") || !strings.Contains(stderr, "was not run") {
		t.Fatalf("audit down: exit %d, stderr %q", code, stderr)
	}
	if len(f.executed(t)) != 0 {
		t.Fatal("the command ran")
	}

	env["LAUNCHPAD_ADMIN_TOKEN"] = "wrong-token"
	if code, _, stderr := runCLI(t, env, f.userID, "--", "ls"); code != exitControlPlane || !strings.Contains(stderr, "HTTP 401") || strings.Contains(stderr, "wrong-token") {
		t.Fatalf("bad token: exit %d, stderr %q", code, stderr)
	}

	env["LAUNCHPAD_URL"] = "http://127.0.0.1:1"
	if code, _, stderr := runCLI(t, env, f.userID, "--", "ls"); code != exitControlPlane || !strings.Contains(stderr, "did not answer") {
		t.Fatalf("no control plane: exit %d, stderr %q", code, stderr)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	env := map[string]string{"LAUNCHPAD_ADMIN_TOKEN": adminToken, "USER": "alice"}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no user", env, nil, "name the user"},
		{"no command", env, []string{"user1abc", "--"}, "command is empty"},
		{"bad user", env, []string{"a/b", "--", "ls"}, "user id"},
		{"no token", map[string]string{"USER": "alice"}, []string{"user1abc", "--", "ls"}, "LAUNCHPAD_ADMIN_TOKEN is not set"},
		{"no operator", map[string]string{"LAUNCHPAD_ADMIN_TOKEN": adminToken}, []string{"user1abc", "--", "ls"}, "-operator"},
		{"bad url", map[string]string{"LAUNCHPAD_ADMIN_TOKEN": adminToken, "USER": "a", "LAUNCHPAD_URL": "ftp://x"}, []string{"user1abc", "ls"}, "not an http(s) URL"},
		{"timeout", env, []string{"-timeout", "1h", "user1abc", "ls"}, "-timeout 1h0m0s is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.env, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, adminToken) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, c.want)
			}
		})
	}
}

func TestHandleExecRefusesBadRequests(t *testing.T) {
	f := newFixture(t)
	srv := server(t, Deps{Store: f.store, Runtime: f.rt})
	post := func(body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/admin/tenants/"+f.userID+"/exec", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	op := map[string]string{OperatorHeader: "alice"}
	for _, c := range []struct {
		body   string
		header map[string]string
		status int
		want   string
	}{
		{`{"command":["ls"]}`, nil, 400, "X-Launchpad-Operator"},
		{`{"command":["ls"]}`, map[string]string{OperatorHeader: "alice smith"}, 400, "operator name"},
		{`{"command":["ls"],"timeout_seconds":3600}`, op, 400, "timeout_seconds"},
		{`{"command":["ls"]}`, op, 200, `"exit_code":3`},
	} {
		status, body := post(c.body, c.header)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s with %v: %d %s; want %d and %q", c.body, c.header, status, body, c.status, c.want)
		}
	}
	if ran := f.executed(t); len(ran) != 1 {
		t.Fatalf("%d commands ran, want only the good one", len(ran))
	}
}
