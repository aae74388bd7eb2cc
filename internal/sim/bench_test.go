package sim_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// BenchmarkFlyMachineLifecycle measures one launch → get → stop → destroy through flaps
// over loopback HTTP: what a tenant's machine costs the acceptance tests and the demo.
func BenchmarkFlyMachineLifecycle(b *testing.B) {
	ctx := context.Background()
	srv := simtest.StartFly(b, sim.FlyOptions{})
	c := newFlaps(b, srv, srv.Token)
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "bench", Org: "acme"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, err := c.Launch(ctx, "bench", fly.LaunchMachineInput{Config: &fly.MachineConfig{Image: "nginx"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Get(ctx, "bench", m.ID); err != nil {
			b.Fatal(err)
		}
		if err := c.Stop(ctx, "bench", fly.StopMachineInput{ID: m.ID}, ""); err != nil {
			b.Fatal(err)
		}
		if err := c.Destroy(ctx, "bench", fly.RemoveMachineInput{ID: m.ID}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenRouterCreateKey measures POST /keys over loopback HTTP.
func BenchmarkOpenRouterCreateKey(b *testing.B) {
	srv := simtest.StartOpenRouter(b, sim.OpenRouterOptions{})
	client := &http.Client{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		status := postJSON(b, client, srv.URL+"/keys", srv.ManagementKey, fmt.Sprintf(`{"name":"k%d","limit":5}`, i))
		if status != http.StatusCreated {
			b.Fatalf("create key: %d", status)
		}
	}
}

// BenchmarkOpenRouterSpend measures the in-process spend hook (no HTTP).
func BenchmarkOpenRouterSpend(b *testing.B) {
	srv := simtest.StartOpenRouter(b, sim.OpenRouterOptions{})
	if status := postJSON(b, &http.Client{}, srv.URL+"/keys", srv.ManagementKey, `{"name":"spender"}`); status != http.StatusCreated {
		b.Fatalf("create key: %d", status)
	}
	keys := srv.Sim.Snapshot().Keys
	b.ReportAllocs()
	for b.Loop() {
		if err := srv.Sim.SpendByHash(keys[0].Hash, 0.0001); err != nil {
			b.Fatal(err)
		}
	}
}
