package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Sandbox is a running `terraform-provider-launchpad sandbox` and the settings it printed.
type Sandbox struct {
	*Proc
	// Env holds FLY_FLAPS_BASE_URL, OPENROUTER_API_URL, FLY_API_TOKEN and
	// OPENROUTER_MANAGEMENT_KEY as the sandbox printed them.
	Env map[string]string
	HC  *http.Client
}

// SandboxVars are the lines the sandbox prints once both simulators listen.
var SandboxVars = []string{"FLY_FLAPS_BASE_URL", "OPENROUTER_API_URL", "FLY_API_TOKEN", "OPENROUTER_MANAGEMENT_KEY"}

// StartSandbox starts `binary sandbox args…` with env, its log in dir/name.log and its
// settings in dir/name.env, and waits until it has printed them.
func StartSandbox(ctx context.Context, binary, dir, name string, env map[string]string, args ...string) (*Sandbox, error) {
	envFile := filepath.Join(dir, name+".env")
	f, err := os.Create(envFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := StartProc(name, binary, append([]string{"sandbox"}, args...), EnvList(env), filepath.Join(dir, name+".log"), f)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{Proc: p, HC: &http.Client{Timeout: 30 * time.Second}}
	if s.Env, err = readSandboxEnv(ctx, p, envFile); err != nil {
		_ = p.Stop(5 * time.Second)
		return nil, err
	}
	return s, nil
}

// readSandboxEnv waits until the sandbox has printed its settings to envFile.
func readSandboxEnv(ctx context.Context, p *Proc, envFile string) (map[string]string, error) {
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
		for _, k := range SandboxVars {
			complete = complete && env[k] != ""
		}
		if complete {
			return env, nil
		}
		if done, err := p.Exited(); done {
			return nil, fmt.Errorf("the sandbox exited (%v) before listening; see %s", err, p.Log)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the sandbox did not print its settings: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ProcOrNil is the sandbox's process, nil before it started.
func (s *Sandbox) ProcOrNil() *Proc {
	if s == nil {
		return nil
	}
	return s.Proc
}

// flyOrigin and openRouterOrigin are where each simulator's /_sim/ test API is, with the
// credential that opens it.
func (s *Sandbox) flyOrigin() (string, string) {
	return s.Env["FLY_FLAPS_BASE_URL"], s.Env["FLY_API_TOKEN"]
}

func (s *Sandbox) openRouterOrigin() (string, string) {
	return strings.TrimSuffix(s.Env["OPENROUTER_API_URL"], sim.OpenRouterBasePath), s.Env["OPENROUTER_MANAGEMENT_KEY"]
}

// simCall calls a simulator's /_sim/ test API (behind the simulator's own credential).
func (s *Sandbox) simCall(ctx context.Context, method, origin, credential, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, origin+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.HC.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("%s %s%s answered %d: %s", method, origin, path, res.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// Fly reads what the Fly simulator holds (GET /_sim/snapshot).
func (s *Sandbox) Fly(ctx context.Context) (sim.FlySnapshot, error) {
	var snap sim.FlySnapshot
	origin, cred := s.flyOrigin()
	err := s.simCall(ctx, http.MethodGet, origin, cred, "/_sim/snapshot", nil, &snap)
	return snap, err
}

// OpenRouter reads what the OpenRouter simulator holds (GET /_sim/snapshot).
func (s *Sandbox) OpenRouter(ctx context.Context) (sim.OpenRouterSnapshot, error) {
	var snap sim.OpenRouterSnapshot
	origin, cred := s.openRouterOrigin()
	err := s.simCall(ctx, http.MethodGet, origin, cred, "/_sim/snapshot", nil, &snap)
	return snap, err
}

// SetFaults replaces the faults both simulators inject (PUT /_sim/faults); the zero Faults
// switches them off.
func (s *Sandbox) SetFaults(ctx context.Context, f sim.Faults) error {
	flyOrigin, flyCred := s.flyOrigin()
	if err := s.simCall(ctx, http.MethodPut, flyOrigin, flyCred, "/_sim/faults", f, nil); err != nil {
		return err
	}
	orOrigin, orCred := s.openRouterOrigin()
	return s.simCall(ctx, http.MethodPut, orOrigin, orCred, "/_sim/faults", f, nil)
}

// FaultStats reads how many faults each simulator injected since they were last set.
func (s *Sandbox) FaultStats(ctx context.Context) (fly, openRouter sim.FaultStats, err error) {
	var out struct {
		Stats sim.FaultStats `json:"stats"`
	}
	origin, cred := s.flyOrigin()
	if err = s.simCall(ctx, http.MethodGet, origin, cred, "/_sim/faults", nil, &out); err != nil {
		return
	}
	fly = out.Stats
	origin, cred = s.openRouterOrigin()
	if err = s.simCall(ctx, http.MethodGet, origin, cred, "/_sim/faults", nil, &out); err != nil {
		return
	}
	return fly, out.Stats, nil
}
