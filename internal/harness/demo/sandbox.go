package main

import (
	"context"
	"fmt"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// world is what both simulators hold: the apps (tenants) and the OpenRouter keys in use.
type world struct {
	apps []sim.FlyAppSnapshot
	keys []sim.KeySnapshot // not disabled
}

func readWorld(ctx context.Context, s *stack.Sandbox) (world, error) {
	fly, err := s.Fly(ctx)
	if err != nil {
		return world{}, err
	}
	or, err := s.OpenRouter(ctx)
	if err != nil {
		return world{}, err
	}
	w := world{apps: fly.Apps}
	for _, k := range or.Keys {
		if !k.Disabled {
			w.keys = append(w.keys, k)
		}
	}
	return w, nil
}

// tenant is one app as the demo describes it.
type tenant struct {
	app       string
	ipv4      string
	ipv6      string
	machine   sim.MachineSnapshot
	volumes   []sim.VolumeSnapshot
	key       sim.KeySnapshot
	keyLimit  float64
	secrets   []string
	isolation string
}

// onlyTenant returns the one tenant the simulators hold, or says what they hold instead.
func (w world) onlyTenant() (tenant, error) {
	if len(w.apps) != 1 || len(w.keys) != 1 {
		return tenant{}, fmt.Errorf("the simulators hold %d apps and %d live keys; want one tenant with one key", len(w.apps), len(w.keys))
	}
	a := w.apps[0]
	t := tenant{app: a.Name, volumes: a.Volumes, key: w.keys[0]}
	if t.key.Limit != nil {
		t.keyLimit = *t.key.Limit
	}
	var live []sim.MachineSnapshot
	for _, m := range a.Machines {
		if m.State != "destroyed" {
			live = append(live, m)
		}
	}
	if len(live) != 1 {
		return tenant{}, fmt.Errorf("app %s has %d live machines; want 1", a.Name, len(live))
	}
	t.machine = live[0]
	for _, ip := range a.IPs {
		switch ip.Type {
		case "v4":
			t.ipv4 = ip.Address
		case "v6":
			t.ipv6 = ip.Address
		}
	}
	for _, s := range a.Secrets {
		t.secrets = append(t.secrets, s.Name)
	}
	t.isolation = "network " + a.Network
	return t, nil
}
