package fly

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// The health checks a spec asks for reach Fly's config and come back with the machine, with
// the status the simulator reports: passing on a started machine of a healthy image, critical
// for ever for an image whose tag ends in -unhealthy.
func TestMachineChecksRoundTripAndReportHealth(t *testing.T) {
	clock := sim.NewManualClock(t0)
	s := startSim(t, sim.FlyOptions{Clock: clock})
	c, _ := simClient(t, s)
	ctx := context.Background()
	const app = "lp-hermes-u1-chk"
	seedApp(t, c, app)
	checks := map[string]launchpad.MachineCheck{"agent": {Type: "tcp", Port: 8080, Interval: 15 * time.Second, Timeout: 5 * time.Second}}

	for _, tc := range []struct {
		name, image string
		healthy     bool
	}{
		{"good", "registry.fly.io/hermes-agent:2.0.0", true},
		{"bad", "registry.fly.io/hermes-agent:2.0.0-unhealthy", false},
	} {
		m, err := c.CreateMachine(ctx, app, launchpad.MachineSpec{Name: tc.name, Region: "iad", Image: tc.image, Checks: checks})
		if err != nil {
			t.Fatal(err)
		}
		if m.Healthy() {
			t.Fatalf("%s: a machine just created (%s) counts as healthy", tc.image, m.State)
		}
		clock.Advance(time.Second)
		got, err := c.GetMachine(ctx, app, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != launchpad.MachineStarted || len(got.CheckStatuses) != 1 || got.CheckStatuses[0].Name != "agent" {
			t.Fatalf("%s: machine = state %s, checks %+v; want started with the agent check reported", tc.image, got.State, got.CheckStatuses)
		}
		if got.Checks["agent"] != checks["agent"] {
			t.Errorf("%s: configured checks read back as %+v, want %+v", tc.image, got.Checks, checks)
		}
		if got.Healthy() != tc.healthy {
			t.Errorf("%s: Healthy() = %v with checks %+v, want %v", tc.image, got.Healthy(), got.CheckStatuses, tc.healthy)
		}
	}
}
