package simtest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

func TestRewriteTransportSendsEverythingToTheTarget(t *testing.T) {
	var gotHost, gotPath string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotPath = r.Host, r.URL.RequestURI()
		_, _ = io.WriteString(w, "ok")
	}))
	defer target.Close()
	client := &http.Client{Transport: simtest.RewriteTransport(target.URL, nil)}
	req, _ := http.NewRequest(http.MethodGet, "https://api.machines.dev/v1/apps?org_slug=acme", nil)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if gotPath != "/v1/apps?org_slug=acme" || gotHost != target.Listener.Addr().String() {
		t.Fatalf("target saw host %q path %q", gotHost, gotPath)
	}
	if req.URL.Host != "api.machines.dev" {
		t.Fatalf("the caller's request was changed: %s", req.URL)
	}
}

func TestRewriteTransportRefusesARelativeURL(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("RewriteTransport accepted a relative URL")
		}
	}()
	simtest.RewriteTransport("/just/a/path", nil)
}

func TestStartServers(t *testing.T) {
	fly := simtest.StartFly(t, sim.FlyOptions{Token: "fo1_fixed-token"})
	if fly.Token != "fo1_fixed-token" {
		t.Fatalf("token %q", fly.Token)
	}
	res, err := http.Get(fly.URL + "/_sim/health")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("fly health: %v %v", res, err)
	}
	res.Body.Close()
	or := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	if or.URL != or.Origin+"/api/v1" || or.ManagementKey == "" {
		t.Fatalf("openrouter server %+v", or)
	}
	req, _ := http.NewRequest(http.MethodGet, or.URL+"/key", nil)
	req.Header.Set("Authorization", "Bearer "+or.ManagementKey)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("openrouter /key: %v %v", res, err)
	}
	res.Body.Close()
}

func TestMatching(t *testing.T) {
	reqs := []sim.RecordedRequest{
		{Method: "POST", Path: "/v1/apps/a/machines/m/lease", Query: "ttl=30"},
		{Method: "POST", Path: "/v1/apps/a/machines/m/lease"},
		{Method: "GET", Path: "/v1/apps/a/machines/m/lease"},
		{Method: "POST", Path: "/v1/apps/a/machines/m/lease/x"},
	}
	for target, want := range map[string]int{
		"POST /v1/apps/a/machines/m/lease":        2,
		"POST /v1/apps/a/machines/m/lease?ttl=30": 1,
		"POST /v1/apps/a/machines/m/lease?ttl=60": 0,
		"GET /v1/apps/a/machines/m/lease":         1,
		"POST /v1/apps/a/machines/m":              0,
	} {
		if got := len(simtest.Matching(reqs, target)); got != want {
			t.Errorf("Matching(%q) = %d requests, want %d", target, got, want)
		}
	}
}

func TestShorthandsAreValid(t *testing.T) {
	for _, f := range []sim.ScriptedFault{
		simtest.Respond(503), simtest.RateLimited("2"), simtest.FailAfter(500),
		simtest.DropAfter(), simtest.HangAfter(), simtest.Delay(time.Second),
	} {
		if err := f.Validate(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func TestRecordSleeps(t *testing.T) {
	sleep, waits := simtest.RecordSleeps()
	ctx, cancel := context.WithCancel(context.Background())
	if err := sleep(ctx, 7*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := sleep(ctx, time.Second); err == nil {
		t.Error("sleep on an ended context returned no error")
	}
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] != time.Second {
		t.Errorf("waits = %v, want [7s 1s]", *waits)
	}
}
