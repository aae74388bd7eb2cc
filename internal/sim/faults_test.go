package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// outcome of one request as a client sees it.
type outcome int

const (
	ok outcome = iota
	serverError
	rateLimited
	dropped
)

// send makes one request with a fresh connection (no keep-alive: net/http would otherwise
// transparently retry an idempotent request whose reused connection was dropped) and
// classifies what came back.
func send(t *testing.T, client *http.Client, method, url, auth, body string) outcome {
	t.Helper()
	res, err := client.Do(newRequest(t, method, url, auth, body, nil))
	if err != nil {
		return dropped
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		if ra := res.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("injected 429 has Retry-After %q, want \"2\" (1.5s rounded up)", ra)
		}
		return rateLimited
	case res.StatusCode >= 500:
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("injected error status %d, want the configured 503", res.StatusCode)
		}
		return serverError
	case res.StatusCode == http.StatusOK:
		return ok
	}
	t.Fatalf("unexpected status %d", res.StatusCode)
	return ok
}

// TestFaultRates checks that each fault mode happens at its configured rate. With 1000
// requests and a rate of 20%, the count of each mode is Binomial(1000, 0.2): mean 200,
// standard deviation sqrt(1000·0.2·0.8) ≈ 12.6. The band [150, 250] is ±4σ, which a fair
// draw leaves with probability below 1e-4; and the seed makes the draw deterministic, so the
// test cannot flake — it fails only if the rates are wrong.
func TestFaultRates(t *testing.T) {
	t.Parallel()
	faults := sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.2, DropRate: 0.2, RetryAfter: 1500 * time.Millisecond, ErrorStatus: http.StatusServiceUnavailable, Seed: 42}
	srv := simtest.StartFly(t, sim.FlyOptions{Faults: faults})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	counts := map[outcome]int{}
	const n = 1000
	for range n {
		counts[send(t, client, http.MethodGet, srv.URL+"/v1/apps?org_slug=acme", "Bearer "+srv.Token, "")]++
	}
	for _, c := range []struct {
		name string
		o    outcome
	}{{"5xx", serverError}, {"429", rateLimited}, {"dropped", dropped}} {
		if got := counts[c.o]; got < 150 || got > 250 {
			t.Errorf("%s: %d of %d requests, want 150..250 (20%% ± 4σ)", c.name, got, n)
		}
	}
	_, stats := srv.Sim.Faults()
	if stats.Requests != n || stats.Errors != counts[serverError] || stats.RateLimited != counts[rateLimited] || stats.Dropped != counts[dropped] {
		t.Errorf("injector stats %+v disagree with what the client saw %v", stats, counts)
	}
	t.Logf("of %d requests: %d ok, %d 5xx, %d 429, %d dropped", n, counts[ok], counts[serverError], counts[rateLimited], counts[dropped])
}

// TestFaultsAreDeterministic: the same seed gives the same sequence of outcomes.
func TestFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	run := func() []outcome {
		srv.Sim.SetFaults(sim.Faults{ErrorRate: 0.3, DropRate: 0.3, ErrorStatus: 503, Seed: 7})
		var seq []outcome
		for range 50 {
			seq = append(seq, send(t, client, http.MethodGet, srv.URL+"/keys", "Bearer "+srv.ManagementKey, ""))
		}
		return seq
	}
	first, second := run(), run()
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: %v then %v with the same seed", i, first[i], second[i])
		}
	}
}

// TestDroppedResponseLeavesTheObject: the change is applied though the client sees an
// error — the case that makes careless clients create duplicates.
func TestDroppedResponseLeavesTheObject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("fly app created through flaps", func(t *testing.T) {
		srv := simtest.StartFly(t, sim.FlyOptions{})
		c := newFlaps(t, srv, srv.Token)
		srv.Sim.SetFaults(sim.Faults{DropRate: 1})
		_, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "dropped", Org: "acme"})
		if err == nil {
			t.Fatal("create app succeeded although its response was dropped")
		}
		srv.Sim.SetFaults(sim.Faults{})
		if app, err := c.GetApp(ctx, "dropped"); err != nil || app.Name != "dropped" {
			t.Fatalf("after the dropped create: %+v, %v; want the app to exist", app, err)
		}
		// A careless retry now finds the name taken.
		_, err = c.CreateApp(ctx, flaps.CreateAppRequest{Name: "dropped", Org: "acme"})
		wantFlapsError(t, "retry of the dropped create", err, http.StatusUnprocessableEntity, "already been taken")
	})

	t.Run("fly machine launched through flaps", func(t *testing.T) {
		srv := simtest.StartFly(t, sim.FlyOptions{})
		c := newFlaps(t, srv, srv.Token)
		mustCreateApp(t, c, "drops")
		srv.Sim.SetFaults(sim.Faults{DropRate: 1})
		if _, err := c.Launch(ctx, "drops", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}}); err == nil {
			t.Fatal("launch succeeded although its response was dropped")
		}
		srv.Sim.SetFaults(sim.Faults{})
		// A client that retries blindly now has two machines.
		if _, err := c.Launch(ctx, "drops", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}}); err != nil {
			t.Fatal(err)
		}
		if ms, err := c.List(ctx, "drops", ""); err != nil || len(ms) != 2 {
			t.Fatalf("machines after a dropped launch and a blind retry: %d, %v; want 2 (the duplicate)", len(ms), err)
		}
	})

	t.Run("openrouter key", func(t *testing.T) {
		srv := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Faults: sim.Faults{DropRate: 1}})
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		if o := send(t, client, http.MethodPost, srv.URL+"/keys", "Bearer "+srv.ManagementKey, `{"name":"dropped"}`); o != dropped {
			t.Fatalf("create key with DropRate 1: outcome %v, want dropped", o)
		}
		if keys := srv.Sim.Snapshot().Keys; len(keys) != 1 || keys[0].Name != "dropped" {
			t.Fatalf("keys after a dropped create: %+v; want the key to exist", keys)
		}
	})
}

func TestLatencyIsAdded(t *testing.T) {
	t.Parallel()
	srv := simtest.StartFly(t, sim.FlyOptions{Faults: sim.Faults{Latency: 40 * time.Millisecond}})
	start := time.Now()
	status, _ := rawFly(t, srv, http.MethodGet, "/v1/apps?org_slug=acme", "", "")
	if elapsed := time.Since(start); status != http.StatusOK || elapsed < 40*time.Millisecond {
		t.Fatalf("request took %v (status %d); want at least the injected 40ms", elapsed, status)
	}
	// The test API is never delayed or faulted.
	srv.Sim.SetFaults(sim.Faults{ErrorRate: 1})
	if status, _ := rawFly(t, srv, http.MethodGet, "/_sim/snapshot", "", ""); status != http.StatusOK {
		t.Fatalf("/_sim/snapshot under ErrorRate 1: %d", status)
	}
}

func TestFaultsValidation(t *testing.T) {
	t.Parallel()
	for _, f := range []sim.Faults{
		{ErrorRate: -0.1},
		{ErrorRate: 1.5},
		{ErrorRate: 0.6, DropRate: 0.6},
		{Latency: -time.Second},
		{RetryAfter: -time.Second},
		{ErrorStatus: 404},
	} {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v validated", f)
		}
	}
	if err := (sim.Faults{ErrorRate: 0.5, RateLimitRate: 0.25, DropRate: 0.25}).Validate(); err != nil {
		t.Errorf("rates summing to 1: %v", err)
	}
	if _, err := sim.OpenFly(sim.FlyOptions{Faults: sim.Faults{DropRate: 2}}); err == nil {
		t.Error("OpenFly accepted a drop rate of 2")
	}
}

// TestFaultsOverHTTP drives the faults through the /_sim/ test API, as a shell user would.
func TestFaultsOverHTTP(t *testing.T) {
	t.Parallel()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	status, body := rawFly(t, srv, http.MethodPut, "/_sim/faults", "", `{"error_rate":0.25,"latency":"5ms","retry_after":"3s","seed":9}`)
	if status != http.StatusOK {
		t.Fatalf("PUT /_sim/faults: %d %s", status, body)
	}
	f, _ := srv.Sim.Faults()
	if f.ErrorRate != 0.25 || f.Latency != 5*time.Millisecond || f.RetryAfter != 3*time.Second || f.Seed != 9 {
		t.Fatalf("faults after PUT = %+v", f)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency":"soon"}`, `{"eror_rate":0.1}`, `not json`} {
		if status, body := rawFly(t, srv, http.MethodPut, "/_sim/faults", "", bad); status != http.StatusBadRequest {
			t.Errorf("PUT /_sim/faults %s: %d %s; want 400", bad, status, body)
		}
	}
	if status, _ := rawFly(t, srv, http.MethodPut, "/_sim/faults", "wrong-token", `{}`); status != http.StatusUnauthorized {
		t.Errorf("PUT /_sim/faults with a wrong token: %d; want 401", status)
	}
	status, body = rawFly(t, srv, http.MethodGet, "/_sim/faults", "", "")
	var got struct {
		Faults sim.Faults     `json:"faults"`
		Stats  sim.FaultStats `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil || got.Faults.ErrorRate != 0.25 {
		t.Fatalf("GET /_sim/faults: %d %s (%v)", status, body, err)
	}
}
