package sim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// TestFlyRateLimits checks Fly's published limits, on the simulator's clock: 1 request/s
// per action per machine with bursts of 3, 5/s with bursts of 10 for Get Machine.
func TestFlyRateLimits(t *testing.T) {
	t.Parallel()
	srv, c, clock := flapsOnSim(t, sim.FlyOptions{RateLimits: true})
	mustCreateApp(t, c, "limited")
	var ids []string
	for range 2 {
		m, err := c.Launch(context.Background(), "limited", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	get := func(id string) (int, string) {
		return rawFly(t, srv, http.MethodGet, "/v1/apps/limited/machines/"+id, "", "")
	}
	lease := func(id string) (int, string) {
		return rawFly(t, srv, http.MethodGet, "/v1/apps/limited/machines/"+id+"/lease", "", "")
	}

	// Get Machine: a burst of 10, then 429 with Retry-After.
	for i := range 10 {
		if status, body := get(ids[0]); status != http.StatusOK {
			t.Fatalf("get #%d: %d %s", i+1, status, body)
		}
	}
	if status, body := get(ids[0]); status != http.StatusTooManyRequests {
		t.Fatalf("get #11: %d %s; want 429", status, body)
	}
	// Another machine has its own bucket.
	if status, _ := get(ids[1]); status != http.StatusOK {
		t.Fatalf("get on the other machine: %d", status)
	}
	// 5 per second refill on the simulator's clock.
	clock.Advance(time.Second)
	for i := range 5 {
		if status, _ := get(ids[0]); status != http.StatusOK {
			t.Fatalf("get #%d after 1s: %d", i+1, status)
		}
	}
	if status, _ := get(ids[0]); status != http.StatusTooManyRequests {
		t.Fatalf("6th get after 1s: %d; want 429", status)
	}

	// Another action (lease lookups answer 404 here, but count all the same): burst of 3.
	for i := range 3 {
		if status, _ := lease(ids[0]); status != http.StatusNotFound {
			t.Fatalf("lease lookup #%d: %d; want 404 (no lease)", i+1, status)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/apps/limited/machines/"+ids[0]+"/lease", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("4th lease lookup: %d Retry-After %q; want 429 with Retry-After 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
	clock.Advance(time.Second)
	if status, _ := lease(ids[0]); status != http.StatusNotFound {
		t.Fatalf("lease lookup after 1s: %d; want a token back", status)
	}
}

func TestFlyWithoutRateLimits(t *testing.T) {
	t.Parallel()
	srv := simtest.StartFly(t, sim.FlyOptions{})
	c := newFlaps(t, srv, srv.Token)
	mustCreateApp(t, c, "free")
	m, err := c.Launch(context.Background(), "free", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if status, _ := rawFly(t, srv, http.MethodGet, "/v1/apps/free/machines/"+m.ID, "", ""); status != http.StatusOK {
			t.Fatalf("get #%d with rate limits off: %d", i+1, status)
		}
	}
}
