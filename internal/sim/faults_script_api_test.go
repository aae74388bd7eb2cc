package sim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

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
