package fly

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

const waitRoute = "GET /v1/apps/{app}/machines/{id}/wait"

func TestWaitMachineAcrossChunksAndTimeout(t *testing.T) {
	s, c, _, m := machineOnSim(t)
	ctx := context.Background()
	// Fly answers 408 twice (not yet); the machine stops while the third wait is open.
	s.Sim.ScriptFaults(waitRoute, simtest.Respond(408), simtest.Respond(408))
	waits := "GET /v1/apps/lp-a-u-1/machines/" + m.ID + "/wait"
	seeded := len(sent(s, waits)) // seedMachine's wait for started
	done := make(chan error, 1)
	go func() { done <- c.WaitMachine(ctx, "lp-a-u-1", m.ID, "stopped", time.Minute) }()
	third := func(rs []sim.RecordedRequest) bool { return len(simtest.Matching(rs, waits)) >= seeded+3 }
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Sim.WaitRequests(wctx, third); err != nil {
		t.Fatalf("the client did not open a third wait: %v (it sent %d)", err, len(sent(s, waits)))
	}
	if err := c.StopMachine(ctx, "lp-a-u-1", m.ID); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitMachine: %v", err)
	}
	sentWaits := sent(s, waits)[seeded:]
	if len(sentWaits) != 3 {
		t.Errorf("wait requests = %d, want 3 (two 408s, then the one that saw the stop)", len(sentWaits))
	}
	for i, w := range sentWaits {
		if q, _ := url.ParseQuery(w.Query); q.Get("instance_id") != m.InstanceID || q.Get("state") != "stopped" {
			t.Errorf("wait %d was not scoped to the instance id: %s", i+1, w.Target())
		}
	}

	// Never reaches the state: a clock that jumps past the deadline ends the wait. (Fly
	// would answer the 30s chunk's 408 after 30s; the script answers it at once.)
	s.Sim.ScriptFaults(waitRoute, simtest.Respond(408))
	start := time.Now()
	calls := 0
	c.now = func() time.Time { calls++; return start.Add(time.Duration(calls) * time.Minute) }
	err := c.WaitMachine(ctx, "lp-a-u-1", m.ID, "started", 90*time.Second)
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(launchpad.ErrorMessage(err), "still stopped after 1m30s") {
		t.Errorf("WaitMachine that never gets there: %v", err)
	}
}
