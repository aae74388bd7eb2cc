package fly_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// TestDefaultAttemptsAbsorbACloudBadDay reads an app 10,000 times while the simulator fails
// 30% of requests (20% 500, 5% 429, 5% dropped: `make chaos`'s cloud faults) and requires
// every read to succeed with the default number of attempts. With six attempts a request
// gives up after six straight failures, 0.3^6 ≈ 1 in 1,400: a 50-tenant apply (about 1,300
// requests) then failed about every other run. The waits are shortened so the test takes
// seconds; the attempts are the default ones.
func TestDefaultAttemptsAbsorbACloudBadDay(t *testing.T) {
	s := simtest.StartFly(t, sim.FlyOptions{})
	c := newSimClient(t, s, fly.RetryPolicy{InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxRetryAfter: time.Microsecond})
	ctx := context.Background()
	if _, err := c.CreateApp(ctx, launchpad.AppSpec{Name: "lp-hermes-baddays-1", Org: "personal", Network: "lp-hermes-baddays-1"}); err != nil {
		t.Fatal(err)
	}
	s.Sim.SetFaults(sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.05, DropRate: 0.05, Seed: 3})
	failed := 0
	var first error
	for range 10_000 {
		if _, err := c.GetApp(ctx, "lp-hermes-baddays-1"); err != nil {
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
