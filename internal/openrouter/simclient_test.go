package openrouter

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// testManagementKey is the management key of the unit tests; no error or log may hold it.
const testManagementKey = "sk-or-v1-mgmt-0000111122223333444455556666777788889999"

// startSim starts the OpenRouter simulator for one test, taking testManagementKey and
// recording every request so the test can check what the client sent. Faults are scripted
// per test with s.Sim.ScriptFaults.
func startSim(t *testing.T) *simtest.OpenRouterServer {
	t.Helper()
	return simtest.StartOpenRouter(t, sim.OpenRouterOptions{ManagementKey: testManagementKey, RecordRequests: true})
}

// simClient returns a Client on the simulator with tiny backoffs; waits are recorded, not
// slept.
func simClient(t *testing.T, s *simtest.OpenRouterServer, mutate ...func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		BaseURL:       s.URL,
		ManagementKey: testManagementKey,
		Retry:         RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond},
		Timeout:       2 * time.Second,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sleep, waits := simtest.RecordSleeps()
	c.sleep = sleep
	return c, waits
}

// sent returns the requests the simulator received that are target ("METHOD /path" or
// "METHOD /path?query", as simtest.Matching reads it).
func sent(s *simtest.OpenRouterServer, target string) []sim.RecordedRequest {
	return simtest.Matching(s.Sim.Requests(), target)
}

// lastBody returns the body of the last request that is target; the test fails if there
// is none.
func lastBody(t *testing.T, s *simtest.OpenRouterServer, target string) string {
	t.Helper()
	reqs := sent(s, target)
	if len(reqs) == 0 {
		t.Fatalf("the client sent no %s", target)
	}
	return reqs[len(reqs)-1].Body
}

// named returns the hashes of the keys called name that the simulator holds, oldest first.
func named(s *simtest.OpenRouterServer, name string) []string {
	var out []string
	for _, k := range s.Sim.Snapshot().Keys {
		if k.Name == name {
			out = append(out, k.Hash)
		}
	}
	return out
}
