package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// answer is what a client saw of one request: a status, a Retry-After and a body, or an
// error when no answer came.
type answer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

// call sends one request on a fresh connection (no keep-alive: net/http would otherwise
// transparently resend an idempotent request whose reused connection was dropped).
func call(t *testing.T, timeout time.Duration, method, url, token, body string) answer {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: timeout}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(data), err: err}
}

// waitDone waits until the simulator has finished with every recorded request, so what
// they applied is in its state.
func waitDone(t *testing.T, s interface {
	WaitRequests(context.Context, func([]sim.RecordedRequest) bool) error
}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.WaitRequests(ctx, func(rs []sim.RecordedRequest) bool {
		for _, r := range rs {
			if !r.Done {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("the simulator did not finish the requests: %v", err)
	}
}

const createApp = "POST /v1/apps"

// TestScriptedFaultKinds: each kind does to one request what it says, and whether the
// change is applied is what the kind says.
func TestScriptedFaultKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   sim.ScriptedFault
		timeout time.Duration
		want    answer // status, Retry-After and body (a substring); err set: no answer
		applied bool
	}{
		{"respond with header and body", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 503, RetryAfter: "7", Body: `{"error":"flaps is overloaded"}`},
			time.Second, answer{status: 503, retryAfter: "7", body: `{"error":"flaps is overloaded"}`}, false},
		{"respond in the API's error shape", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429},
			time.Second, answer{status: 429, body: `{"error":"injected fault: scripted 429 Too Many Requests"}`}, false},
		{"respond with an HTTP date", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429, RetryAfter: "Sun, 01 Mar 2026 12:01:30 GMT"},
			time.Second, answer{status: 429, retryAfter: "Sun, 01 Mar 2026 12:01:30 GMT"}, false},
		{"fail after applying", sim.ScriptedFault{Kind: sim.FaultFailAfter, Status: 503},
			time.Second, answer{status: 503, body: "scripted 503"}, true},
		{"2xx after applying, with another body", sim.ScriptedFault{Kind: sim.FaultFailAfter, Status: 201, Body: `{"name":"x"}`},
			time.Second, answer{status: 201, body: `{"name":"x"}`}, true},
		{"drop after applying", sim.ScriptedFault{Kind: sim.FaultDropAfter},
			time.Second, answer{err: io.EOF}, true},
		{"hang after applying", sim.ScriptedFault{Kind: sim.FaultHangAfter},
			100 * time.Millisecond, answer{err: context.DeadlineExceeded}, true},
		{"delay shorter than the client's patience", sim.ScriptedFault{Kind: sim.FaultDelay, Delay: 30 * time.Millisecond},
			5 * time.Second, answer{status: 201, body: `"name":"x"`}, true},
		{"delay longer than the client's patience", sim.ScriptedFault{Kind: sim.FaultDelay, Delay: time.Minute},
			100 * time.Millisecond, answer{err: context.DeadlineExceeded}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := simtest.StartFly(t, sim.FlyOptions{RecordRequests: true})
			s.Sim.ScriptFaults(createApp, tt.fault)
			start := time.Now()
			got := call(t, tt.timeout, http.MethodPost, s.URL+"/v1/apps", s.Token, `{"name":"x","org_slug":"acme"}`)
			switch {
			case tt.want.err != nil && got.err == nil:
				t.Fatalf("answered %d %s; want no answer", got.status, got.body)
			case tt.want.err == nil && got.err != nil:
				t.Fatalf("no answer (%v); want %d", got.err, tt.want.status)
			case got.status != tt.want.status || got.retryAfter != tt.want.retryAfter || !strings.Contains(got.body, tt.want.body):
				t.Errorf("answered %d, Retry-After %q, body %s; want %d, %q, a body with %s", got.status, got.retryAfter, got.body, tt.want.status, tt.want.retryAfter, tt.want.body)
			}
			if tt.fault.Kind == sim.FaultDelay && got.err == nil && time.Since(start) < tt.fault.Delay {
				t.Errorf("answered after %v; want at least the scripted %v", time.Since(start), tt.fault.Delay)
			}
			waitDone(t, s.Sim)
			if _, ok := s.Sim.Snapshot().App("x"); ok != tt.applied {
				t.Errorf("app created = %v, want %v", ok, tt.applied)
			}
			if left := s.Sim.ScriptedFaults(); len(left) != 0 {
				t.Errorf("faults left after the one request: %v", left)
			}
			if _, stats := s.Sim.Faults(); stats.Scripted != 1 || stats.Requests != 1 {
				t.Errorf("stats %+v, want 1 request taken by 1 scripted fault", stats)
			}
		})
	}
}

// TestScriptedFaultsInOrderPerRoute: a route's faults are taken one per matching request,
// in order; requests to other routes (even on the same path) take none; once the script is
// spent the API answers normally.
func TestScriptedFaultsInOrderPerRoute(t *testing.T) {
	t.Parallel()
	s := simtest.StartFly(t, sim.FlyOptions{})
	if got := call(t, time.Second, http.MethodPost, s.URL+"/v1/apps", s.Token, `{"name":"a1","org_slug":"acme"}`); got.status != http.StatusCreated {
		t.Fatalf("create: %d %s", got.status, got.body)
	}
	s.Sim.ScriptFaults("GET /v1/apps/{app}", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 500})
	s.Sim.ScriptFaults("GET /v1/apps/{app}", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 502}, sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429, RetryAfter: "3"})

	steps := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/v1/apps?org_slug=acme", 200}, // another route: GET /v1/apps
		{http.MethodDelete, "/v1/apps/nope", 404},       // same path shape, another method
		{http.MethodGet, "/v1/apps/a1", 500},
		{http.MethodGet, "/v1/apps/nope", 502}, // any app matches {app}
		{http.MethodGet, "/v1/apps/a1", 429},
		{http.MethodGet, "/v1/apps/a1", 200}, // spent
	}
	for i, st := range steps {
		if got := call(t, time.Second, st.method, s.URL+st.path, s.Token, ""); got.status != st.want {
			t.Errorf("request %d %s %s: %d, want %d", i+1, st.method, st.path, got.status, st.want)
		}
	}
}

// TestScriptedFaultsComeBeforeRates: a scripted request is not drawn, so a script fires
// exactly even under an error rate of 1, and SetFaults leaves the script queued.
func TestScriptedFaultsComeBeforeRates(t *testing.T) {
	t.Parallel()
	s := simtest.StartFly(t, sim.FlyOptions{})
	s.Sim.ScriptFaults("GET /v1/apps", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 418})
	s.Sim.SetFaults(sim.Faults{ErrorRate: 1, ErrorStatus: 503})
	if n := len(s.Sim.ScriptedFaults()["GET /v1/apps"]); n != 1 {
		t.Fatalf("SetFaults changed the script: %d left, want 1", n)
	}
	for i, want := range []int{418, 503} {
		if got := call(t, time.Second, http.MethodGet, s.URL+"/v1/apps?org_slug=acme", s.Token, ""); got.status != want {
			t.Errorf("request %d: %d, want %d", i+1, got.status, want)
		}
	}
	if _, stats := s.Sim.Faults(); stats.Requests != 2 || stats.Scripted != 1 || stats.Errors != 1 {
		t.Errorf("stats %+v, want 2 requests: 1 scripted, 1 drawn error", stats)
	}
	s.Sim.ScriptFaults("GET /v1/apps", sim.ScriptedFault{Kind: sim.FaultDropAfter})
	s.Sim.ClearScriptedFaults()
	if left := s.Sim.ScriptedFaults(); len(left) != 0 {
		t.Errorf("after ClearScriptedFaults: %v", left)
	}
}

// TestScriptedFaultsOnOpenRouter: the OpenRouter simulator takes scripts too, answers in
// its own error shape, and a dropped mint leaves the key.
func TestScriptedFaultsOnOpenRouter(t *testing.T) {
	t.Parallel()
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	s.Sim.ScriptFaults("POST /api/v1/keys", sim.ScriptedFault{Kind: sim.FaultRespond, Status: 400}, sim.ScriptedFault{Kind: sim.FaultDropAfter})
	got := call(t, time.Second, http.MethodPost, s.URL+"/keys", s.ManagementKey, `{"name":"k"}`)
	if want := `{"error":{"code":400,"message":"injected fault: scripted 400 Bad Request"}}`; got.status != 400 || strings.TrimSpace(got.body) != want {
		t.Errorf("respond: %d %s; want 400 %s", got.status, got.body, want)
	}
	if got := call(t, time.Second, http.MethodPost, s.URL+"/keys", s.ManagementKey, `{"name":"k"}`); got.err == nil {
		t.Errorf("drop_after: answered %d", got.status)
	}
	if keys := s.Sim.Snapshot().Keys; len(keys) != 1 || keys[0].Name != "k" {
		t.Errorf("keys %+v, want the one the dropped mint made", keys)
	}
}

func TestScriptedFaultValidation(t *testing.T) {
	t.Parallel()
	bad := []struct {
		fault sim.ScriptedFault
		says  string
	}{
		{sim.ScriptedFault{}, `kind "" is not known`},
		{sim.ScriptedFault{Kind: "explode"}, `kind "explode" is not known`},
		{sim.ScriptedFault{Kind: sim.FaultRespond}, "give a 4xx or 5xx status"},
		{sim.ScriptedFault{Kind: sim.FaultRespond, Status: 200}, "give a 4xx or 5xx status"},
		{sim.ScriptedFault{Kind: sim.FaultFailAfter, Status: 302}, "answers 2xx, 4xx or 5xx"},
		{sim.ScriptedFault{Kind: sim.FaultFailAfter, Status: 201}, "give the body it should carry"},
		{sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429, RetryAfter: "soon"}, "neither a number of seconds"},
		{sim.ScriptedFault{Kind: sim.FaultRespond, Status: 429, RetryAfter: "-1"}, "neither a number of seconds"},
		{sim.ScriptedFault{Kind: sim.FaultDropAfter, Status: 500}, "go with respond and fail_after only"},
		{sim.ScriptedFault{Kind: sim.FaultHangAfter, Body: "x"}, "go with respond and fail_after only"},
		{sim.ScriptedFault{Kind: sim.FaultDelay}, "waits a positive duration"},
		{sim.ScriptedFault{Kind: sim.FaultDelay, Delay: -time.Second}, "waits a positive duration"},
		{sim.ScriptedFault{Kind: sim.FaultRespond, Status: 500, Delay: time.Second}, "delay goes with the delay kind only"},
	}
	for _, b := range bad {
		err := b.fault.Validate()
		if err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("%+v: %v; want an error saying %q", b.fault, err, b.says)
		}
	}
	for _, good := range []sim.ScriptedFault{
		{Kind: sim.FaultRespond, Status: 429, RetryAfter: "0"},
		{Kind: sim.FaultRespond, Status: 503, RetryAfter: time.Now().UTC().Format(http.TimeFormat), Body: "plain text"},
		{Kind: sim.FaultFailAfter, Status: 201, Body: `{}`},
		{Kind: sim.FaultDropAfter}, {Kind: sim.FaultHangAfter},
		{Kind: sim.FaultDelay, Delay: time.Millisecond},
	} {
		if err := good.Validate(); err != nil {
			t.Errorf("%+v: %v", good, err)
		}
	}
}

// TestScriptFaultsPanicsOnAMistake: a route the simulator does not implement (written with
// a concrete path, say) would queue faults that never fire, so it is refused.
func TestScriptFaultsPanicsOnAMistake(t *testing.T) {
	t.Parallel()
	s := simtest.StartFly(t, sim.FlyOptions{})
	for _, tc := range []struct {
		route  string
		faults []sim.ScriptedFault
		says   string
	}{
		{"POST /v1/apps/lp-a/machines", []sim.ScriptedFault{{Kind: sim.FaultDropAfter}}, "not one the simulator implements"},
		{"/v1/apps", []sim.ScriptedFault{{Kind: sim.FaultDropAfter}}, "not one the simulator implements"},
		{"GET /v1/apps", nil, "no faults given"},
		{"GET /v1/apps", []sim.ScriptedFault{{Kind: sim.FaultDropAfter}, {Kind: sim.FaultRespond}}, "fault 2: status 0"},
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, tc.says) {
					t.Errorf("ScriptFaults(%q, %v) panicked with %q; want a panic saying %q", tc.route, tc.faults, msg, tc.says)
				}
			}()
			s.Sim.ScriptFaults(tc.route, tc.faults...)
		}()
	}
	if left := s.Sim.ScriptedFaults(); len(left) != 0 {
		t.Errorf("a refused script was queued (in part): %v", left)
	}
}

// TestScriptedFaultsOverHTTP drives scripts through the /_sim/ test API, as a shell user
// would: queue, list, take, clear, and clear errors for bad input.
func TestScriptedFaultsOverHTTP(t *testing.T) {
	t.Parallel()
	s := simtest.StartFly(t, sim.FlyOptions{})
	status, body := rawFly(t, s, http.MethodPost, "/_sim/faults/script", "",
		`{"route":"POST /v1/apps","faults":[{"kind":"respond","status":429,"retry_after":"5"},{"kind":"delay","delay":"10ms"}]}`)
	if status != http.StatusOK {
		t.Fatalf("POST /_sim/faults/script: %d %s", status, body)
	}
	want := map[string][]sim.ScriptedFault{"POST /v1/apps": {
		{Kind: sim.FaultRespond, Status: 429, RetryAfter: "5"},
		{Kind: sim.FaultDelay, Delay: 10 * time.Millisecond},
	}}
	var got struct {
		Script map[string][]sim.ScriptedFault `json:"script"`
	}
	status, body = rawFly(t, s, http.MethodGet, "/_sim/faults/script", "", "")
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil || !equalScripts(got.Script, want) {
		t.Fatalf("GET /_sim/faults/script: %d %s (%v); want %v", status, body, err, want)
	}
	if a := call(t, time.Second, http.MethodPost, s.URL+"/v1/apps", s.Token, `{"name":"x","org_slug":"acme"}`); a.status != 429 || a.retryAfter != "5" {
		t.Errorf("first create: %d, Retry-After %q; want the scripted 429, 5", a.status, a.retryAfter)
	}
	if status, body := rawFly(t, s, http.MethodDelete, "/_sim/faults/script", "", ""); status != http.StatusOK || !strings.Contains(body, `"script":{}`) {
		t.Errorf("DELETE /_sim/faults/script: %d %s", status, body)
	}
	if left := s.Sim.ScriptedFaults(); len(left) != 0 {
		t.Errorf("left after DELETE: %v", left)
	}

	for _, bad := range []struct{ body, says string }{
		{`{"route":"POST /v1/app","faults":[{"kind":"drop_after"}]}`, "not one the simulator implements"},
		{`{"route":"POST /v1/apps","faults":[]}`, "no faults given"},
		{`{"route":"POST /v1/apps","faults":[{"kind":"respond","status":200}]}`, "fault 1: status 200"},
		{`{"route":"POST /v1/apps","faults":[{"kind":"delay","delay":"soon"}]}`, `delay \"soon\" is not a duration`},
		{`{"route":"POST /v1/apps","faults":[{"kind":"drop_after","statsu":500}]}`, "unknown field"},
		{`{"rute":"POST /v1/apps"}`, "unknown field"},
		{`not json`, "not valid JSON"},
	} {
		if status, body := rawFly(t, s, http.MethodPost, "/_sim/faults/script", "", bad.body); status != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("POST /_sim/faults/script %s: %d %s; want 400 saying %q", bad.body, status, body, bad.says)
		}
	}
	if left := s.Sim.ScriptedFaults(); len(left) != 0 {
		t.Errorf("refused scripts were queued: %v", left)
	}
	if status, _ := rawFly(t, s, http.MethodPost, "/_sim/faults/script", "wrong-token", `{}`); status != http.StatusUnauthorized {
		t.Errorf("POST /_sim/faults/script with a wrong token: %d; want 401", status)
	}
}

func equalScripts(a, b map[string][]sim.ScriptedFault) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
