package fly

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// testToken is the API token of the unit tests; no error or log line may contain it.
const testToken = "fo1_unit-test-token-7f3a9c2e5b1d"

// startSim starts the Fly simulator for one test, taking testToken and recording every
// request so the test can check what the client sent. Faults are scripted per test with
// s.Sim.ScriptFaults.
func startSim(t *testing.T, o sim.FlyOptions) *simtest.FlyServer {
	t.Helper()
	o.Token, o.RecordRequests = testToken, true
	return simtest.StartFly(t, o)
}

// simClient returns a Client on the simulator with tiny backoffs; waits are recorded, not
// slept.
func simClient(t *testing.T, s *simtest.FlyServer, mutate ...func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		BaseURL: s.URL,
		Token:   testToken,
		Org:     "personal",
		Retry:   RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxRetryAfter: 30 * time.Second},
		Timeout: 2 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sleep, waits := simtest.RecordSleeps()
	c.sleep = sleep
	return c, waits
}

// seedApp creates an app through the client.
func seedApp(t *testing.T, c *Client, name string) {
	t.Helper()
	if _, err := c.CreateApp(context.Background(), launchpad.AppSpec{Name: name}); err != nil {
		t.Fatalf("CreateApp(%s): %v", name, err)
	}
}

// machineOnSim starts a simulator and a client on it, and launches a started machine in app
// lp-a-u-1: where the tests of one machine's calls begin.
func machineOnSim(t *testing.T) (*simtest.FlyServer, *Client, *[]time.Duration, *launchpad.Machine) {
	t.Helper()
	s := startSim(t, sim.FlyOptions{})
	c, waits := simClient(t, s)
	seedApp(t, c, "lp-a-u-1")
	return s, c, waits, seedMachine(t, c, "lp-a-u-1")
}

// appOnSim starts a simulator and a client on it (changed by mutate), and creates app
// lp-a-u-1: where the tests of one app's calls begin.
func appOnSim(t *testing.T, mutate ...func(*Config)) (*simtest.FlyServer, *Client) {
	t.Helper()
	s := startSim(t, sim.FlyOptions{})
	c, _ := simClient(t, s, mutate...)
	seedApp(t, c, "lp-a-u-1")
	return s, c
}

// seedMachine launches a machine named agent in app through the client and waits until it
// has started (Fly answers a create "created" and starts the machine afterwards).
func seedMachine(t *testing.T, c *Client, app string) *launchpad.Machine {
	t.Helper()
	ctx := context.Background()
	m, err := c.CreateMachine(ctx, app, launchpad.MachineSpec{Name: "agent", Image: "img"})
	if err != nil {
		t.Fatalf("CreateMachine(%s): %v", app, err)
	}
	if err := c.WaitMachine(ctx, app, m.ID, launchpad.MachineStarted, 10*time.Second); err != nil {
		t.Fatalf("WaitMachine(%s, started): %v", m.ID, err)
	}
	m.State = launchpad.MachineStarted
	return m
}

// sent returns the requests the simulator received that are target ("METHOD /path" or
// "METHOD /path?query", as simtest.Matching reads it).
func sent(s *simtest.FlyServer, target string) []sim.RecordedRequest {
	return simtest.Matching(s.Sim.Requests(), target)
}

// lastSent returns the last request that is target; the test fails if there is none.
func lastSent(t *testing.T, s *simtest.FlyServer, target string) sim.RecordedRequest {
	t.Helper()
	reqs := sent(s, target)
	if len(reqs) == 0 {
		t.Fatalf("the client sent no %s", target)
	}
	return reqs[len(reqs)-1]
}

// machine returns the simulator's view of one machine; the test fails if there is none.
func machine(t *testing.T, s *simtest.FlyServer, id string) sim.MachineSnapshot {
	t.Helper()
	return held(t, "machine", id, s.Sim.Snapshot().Machine)
}

// app returns the simulator's view of one app; the test fails if there is none.
func app(t *testing.T, s *simtest.FlyServer, name string) sim.FlyAppSnapshot {
	t.Helper()
	return held(t, "app", name, s.Sim.Snapshot().App)
}

// held returns what lookup finds under key in a snapshot of the simulator; the test fails if
// the simulator holds no such what.
func held[T any](t *testing.T, what, key string, lookup func(string) (T, bool)) T {
	t.Helper()
	v, ok := lookup(key)
	if !ok {
		t.Fatalf("the simulator holds no %s %s", what, key)
	}
	return v
}
