package openrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// TestDefaultAttemptsAbsorbACloudBadDay reads a key 10,000 times while the simulator fails
// 30% of requests (20% 500, 5% 429, 5% dropped: `make chaos`'s cloud faults) and requires
// every read to succeed with the default number of attempts (six gave up about once in
// 1,400 requests). The waits are shortened so the test takes seconds.
func TestDefaultAttemptsAbsorbACloudBadDay(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := newSimClient(t, s, openrouter.RetryPolicy{InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxRetryAfter: time.Microsecond})
	ctx := context.Background()
	limit := 10.0
	k, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "launchpad-baddays", LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	s.Sim.SetFaults(sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.05, DropRate: 0.05, Seed: 3})
	failed := 0
	var first error
	for range 10_000 {
		if _, err := c.GetKey(ctx, k.Info.Hash); err != nil {
			if failed++; first == nil {
				first = err
			}
		}
	}
	_, stats := s.Sim.Faults()
	t.Logf("%d requests for 10,000 reads: %d 500s, %d 429s, %d dropped", stats.Requests, stats.Errors, stats.RateLimited, stats.Dropped)
	if failed > 0 {
		t.Fatalf("%d of 10,000 reads failed under a 30%% fault rate, first: %v", failed, first)
	}
}
