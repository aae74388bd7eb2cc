package sim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// TestRequestLogRecordsWhatClientsSent: method, path, query, route, auth scheme, body and
// answer of every API request, in order; never a credential, never a secret value, never
// the /_sim/ routes.
func TestRequestLogRecordsWhatClientsSent(t *testing.T) {
	t.Parallel()
	const secret = "sk-or-v1-a-secret-value-that-must-not-be-kept"
	s := simtest.StartFly(t, sim.FlyOptions{RecordRequests: true})
	rawFly(t, s, http.MethodPost, "/v1/apps", "", `{"name":"lp-a","org_slug":"acme"}`)
	rawFly(t, s, http.MethodPost, "/v1/apps/lp-a/secrets/KEY", "", `{"value":"`+secret+`"}`)
	rawFly(t, s, http.MethodPost, "/v1/apps/lp-a/secrets", "", `{"values":{"OTHER":"`+secret+`"}}`)
	rawFly(t, s, http.MethodGet, "/v1/apps?org_slug=acme", "wrong-token", "")
	rawFly(t, s, http.MethodGet, "/_sim/snapshot", "", "")
	rawRequest(t, http.MethodGet, s.URL+"/v1/apps/lp-a", "FlyV1 "+s.Token, "", nil)

	got := s.Sim.Requests()
	want := []sim.RecordedRequest{
		{Method: "POST", Path: "/v1/apps", Route: "POST /v1/apps", AuthScheme: "Bearer", Body: `{"name":"lp-a","org_slug":"acme"}`, Status: 201, Done: true},
		{Method: "POST", Path: "/v1/apps/lp-a/secrets/KEY", Route: "POST /v1/apps/{app}/secrets/{name}", AuthScheme: "Bearer", BodyWithheld: true, Status: 200, Done: true},
		{Method: "POST", Path: "/v1/apps/lp-a/secrets", Route: "POST /v1/apps/{app}/secrets", AuthScheme: "Bearer", BodyWithheld: true, Status: 200, Done: true},
		{Method: "GET", Path: "/v1/apps", Query: "org_slug=acme", Route: "GET /v1/apps", AuthScheme: "Bearer", Status: 401, Done: true},
		{Method: "GET", Path: "/v1/apps/lp-a", Route: "GET /v1/apps/{app}", AuthScheme: "FlyV1", Status: 200, Done: true},
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d:\n got %+v\nwant %+v", i+1, got[i], want[i])
		}
		if strings.Contains(got[i].Body, secret) || strings.Contains(got[i].Body, s.Token) {
			t.Errorf("request %d holds a secret", i+1)
		}
	}
	if target := got[3].Target(); target != "GET /v1/apps?org_slug=acme" {
		t.Errorf("Target() = %q", target)
	}
}

// TestRequestLogIsOffByDefault: the sandbox and benchmarks keep nothing.
func TestRequestLogIsOffByDefault(t *testing.T) {
	t.Parallel()
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	rawRequest(t, http.MethodGet, s.URL+"/keys", "Bearer "+s.ManagementKey, "", nil)
	if got := s.Sim.Requests(); len(got) != 0 {
		t.Errorf("recorded %+v without RecordRequests", got)
	}
}

// TestWaitRequestsSeesARequestInFlight: a test can act once a request has arrived, before
// it is answered, and the handler still reads the body the log read first.
func TestWaitRequestsSeesARequestInFlight(t *testing.T) {
	t.Parallel()
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{RecordRequests: true})
	s.Sim.ScriptFaults("POST /api/v1/keys", sim.ScriptedFault{Kind: sim.FaultDelay, Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/keys", strings.NewReader(`{"name":"k"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.ManagementKey)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			answered <- answer{status: res.StatusCode}
			return
		}
		answered <- answer{err: err}
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	err := s.Sim.WaitRequests(wctx, func(rs []sim.RecordedRequest) bool { return len(rs) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Sim.Requests()[0]; r.Done || r.Status != 0 || r.Body != `{"name":"k"}` {
		t.Errorf("in flight: %+v", r)
	}
	cancel() // the client gives up during the delay: nothing is applied
	if a := <-answered; a.err == nil {
		t.Fatalf("answered %d during a one-minute delay", a.status)
	}
	waitDone(t, s.Sim)
	if keys := s.Sim.Snapshot().Keys; len(keys) != 0 {
		t.Errorf("keys %+v, want none: the client left before the delay ended", keys)
	}

	// Without a delay the handler decodes the body the log has read.
	if status, body := rawRequest(t, http.MethodPost, s.URL+"/keys", "Bearer "+s.ManagementKey, `{"name":"k2"}`, nil); status != http.StatusCreated {
		t.Fatalf("create after the log read the body: %d %s", status, body)
	}
}
