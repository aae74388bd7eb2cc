package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// sandbox is the running `terraform-provider-launchpad sandbox` and the settings it printed.
type sandbox struct {
	*proc
	env map[string]string // FLY_FLAPS_BASE_URL, OPENROUTER_API_URL, FLY_API_TOKEN, OPENROUTER_MANAGEMENT_KEY
	hc  *http.Client
}

// procOrNil is the sandbox's process, nil before it started.
func (s *sandbox) procOrNil() *proc {
	if s == nil {
		return nil
	}
	return s.proc
}

// sandboxVars are the lines the sandbox prints once both simulators listen.
var sandboxVars = []string{"FLY_FLAPS_BASE_URL", "OPENROUTER_API_URL", "FLY_API_TOKEN", "OPENROUTER_MANAGEMENT_KEY"}

// readSandboxEnv waits until the sandbox has printed its settings to envFile.
func readSandboxEnv(ctx context.Context, p *proc, envFile string) (map[string]string, error) {
	for {
		env := map[string]string{}
		if f, err := os.Open(envFile); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if k, v, ok := strings.Cut(sc.Text(), "="); ok {
					env[k] = v
				}
			}
			f.Close()
		}
		complete := true
		for _, k := range sandboxVars {
			complete = complete && env[k] != ""
		}
		if complete {
			return env, nil
		}
		if done, err := p.exited(); done {
			return nil, fmt.Errorf("the sandbox exited (%v) before listening; see %s", err, p.log)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the sandbox did not print its settings: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// snapshot reads a simulator's /_sim/snapshot (its test API, behind the simulator's own
// credential).
func (s *sandbox) snapshot(ctx context.Context, origin, credential string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/_sim/snapshot", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	res, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/_sim/snapshot answered %d", origin, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// world is what both simulators hold: the apps (tenants) and the OpenRouter keys in use.
type world struct {
	apps []sim.FlyAppSnapshot
	keys []sim.KeySnapshot // not disabled
}

func (s *sandbox) world(ctx context.Context) (world, error) {
	var fly sim.FlySnapshot
	if err := s.snapshot(ctx, s.env["FLY_FLAPS_BASE_URL"], s.env["FLY_API_TOKEN"], &fly); err != nil {
		return world{}, err
	}
	var or sim.OpenRouterSnapshot
	origin := strings.TrimSuffix(s.env["OPENROUTER_API_URL"], sim.OpenRouterBasePath)
	if err := s.snapshot(ctx, origin, s.env["OPENROUTER_MANAGEMENT_KEY"], &or); err != nil {
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
