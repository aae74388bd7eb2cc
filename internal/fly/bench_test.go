package fly_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// BenchmarkTenantBoundaryOnSim measures creating and tearing down one tenant boundary (app,
// volume, machine, two IPs, a secret) through the client against the in-process simulator:
// the client's own overhead plus loopback HTTP, about 14 requests each way.
func BenchmarkTenantBoundaryOnSim(b *testing.B) {
	s := simtest.StartFly(b, sim.FlyOptions{})
	c, err := fly.New(context.Background(), fly.Config{BaseURL: s.URL, Token: s.Token, Org: "personal"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		app := fmt.Sprintf("lp-bench-u%07d-t%d", i, i)
		if _, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app}); err != nil {
			b.Fatal(err)
		}
		v, err := c.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 1, Encrypted: true})
		if err != nil {
			b.Fatal(err)
		}
		m, err := c.CreateMachine(ctx, app, launchpad.MachineSpec{Name: "agent", Region: "ams", Image: "img", Mounts: []launchpad.Mount{{VolumeID: v.ID, Path: "/workspace"}}})
		if err != nil {
			b.Fatal(err)
		}
		for _, typ := range []string{launchpad.IPv4, launchpad.IPv6} {
			if _, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: typ}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.SetSecret(ctx, app, launchpad.KeySecretName, "sk-or-v1-bench"); err != nil {
			b.Fatal(err)
		}
		if err := c.DestroyMachine(ctx, app, m.ID, true); err != nil {
			b.Fatal(err)
		}
		if err := c.DeleteApp(ctx, app); err != nil {
			b.Fatal(err)
		}
	}
}
