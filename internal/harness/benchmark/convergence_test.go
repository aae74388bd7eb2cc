package benchmark

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// TestConvergenceEndToEnd runs convergence with two plan changes through serve and the
// sandbox of the built binary, against two direct applies, and checks each figure and the
// phases of the control plane's path.
func TestConvergenceEndToEnd(t *testing.T) {
	env := envForTest(t)
	got := emitted(t, env, Convergence(ConvergenceOptions{Upgrades: 2, Poll: 20 * time.Millisecond}))
	for _, r := range got {
		if r.Unit != "s" || r.Value <= 0 || r.Floor == nil || *r.Floor <= 0 || r.Ratio == nil {
			t.Errorf("%s = %+v: want seconds against a measured floor", r.Name, r)
		}
	}
	if names, want := figureNames(got), "convergence_p50 convergence_p95 convergence_done_p50"; names != want {
		t.Fatalf("figures %s, want %s", names, want)
	}
	p50 := got[0]
	if n := len(p50.Details["control_plane_s"].([]float64)); n != 2 {
		t.Errorf("%d changes through the control plane, want 2", n)
	}
	if n := len(p50.Details["direct_s"].([]float64)); n != 2 {
		t.Errorf("%d direct changes, want 2", n)
	}
	phases := p50.Details["control_plane_phases_median_ms"].(map[string]float64)
	if len(phases) != 6 {
		t.Errorf("phases %v, want 6", phases)
	}
	for name, ms := range phases {
		// Each phase is a difference of two clocks of one machine read at most a poll apart;
		// a phase far below zero means the times were read from the wrong jobs.
		if ms < -float64(50) {
			t.Errorf("phase %s is %v ms", name, ms)
		}
	}
	// The apply is the bulk of a change: the queue and the event's processing are not.
	if apply := phases["5_apply_started_to_applied_ms"]; apply <= phases["2_event_queued_ms"] || apply <= phases["4_apply_queued_ms"] {
		t.Errorf("phases %v: the apply should take longer than waiting in the queue", phases)
	}
	if runtime.GOOS == "linux" {
		if cp, direct := p50.Details["control_plane_cpu_s_median"].(float64), p50.Details["direct_cpu_s_median"].(float64); cp <= 0 || direct <= 0 {
			t.Errorf("CPU per change: control plane %v s, direct %v s; want both measured", cp, direct)
		}
	}
	if done, applied := got[2].Value, p50.Value; done < applied-0.05 {
		t.Errorf("the job finished (%v s) well before the change was seen applied (%v s)", done, applied)
	}
}

// TestWithPlanRewritesTheRunnersTemplate checks the floor's plan change against the runner's
// own template (read as a file: the floor changes what the runner renders, and must fail
// loudly if the template's shape moves).
func TestWithPlanRewritesTheRunnersTemplate(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "..", "controlplane", "runner", "template", "main.tf.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := withPlan(tmpl, "pro")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Resource map[string]map[string]struct {
			Plan string `json:"plan"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"launchpad_subkey", "launchpad_tenant"} {
		if got := d.Resource[typ]["this"].Plan; got != "pro" {
			t.Errorf("%s.this.plan = %q, want pro", typ, got)
		}
	}
	if _, err := withPlan([]byte(`{"resource":{"launchpad_tenant":{"this":{"plan":"x"}}}}`), "pro"); err == nil {
		t.Error("a document without launchpad_subkey.this was rewritten")
	}
	if _, err := withPlan([]byte(`not json`), "pro"); err == nil {
		t.Error("a document that is not JSON was rewritten")
	}
}

func TestMachineOnAndKeyOn(t *testing.T) {
	pro := stack.Plan{Name: "pro", CPUKind: "shared", CPUs: 2, Memory: 4096, LimitUSD: 50}
	limit, other := 50.0, 10.0
	machine := func(user, state string, cpus, mem int) sim.MachineSnapshot {
		return sim.MachineSnapshot{State: state, Metadata: map[string]string{machineUserMetadata: user},
			Guest: sim.GuestSnapshot{CPUKind: "shared", CPUs: cpus, MemoryMB: mem}}
	}
	fly := func(ms ...sim.MachineSnapshot) sim.FlySnapshot {
		return sim.FlySnapshot{Apps: []sim.FlyAppSnapshot{{Name: "lp-hermes-u1", Machines: ms}}}
	}
	for name, c := range map[string]struct {
		snap sim.FlySnapshot
		want bool
	}{
		"resized":                   {fly(machine("u1", "started", 2, 4096)), true},
		"old size":                  {fly(machine("u1", "started", 1, 1024)), false},
		"another user's machine":    {fly(machine("u2", "started", 2, 4096)), false},
		"a destroyed old machine":   {fly(machine("u1", "destroyed", 1, 1024), machine("u1", "started", 2, 4096)), true},
		"two live machines":         {fly(machine("u1", "started", 2, 4096), machine("u1", "started", 2, 4096)), false},
		"memory not yet the plan's": {fly(machine("u1", "started", 2, 2048)), false},
	} {
		if got := machineOn(c.snap, "u1", pro); got != c.want {
			t.Errorf("%s: machineOn = %v, want %v", name, got, c.want)
		}
	}
	keys := func(ks ...sim.KeySnapshot) sim.OpenRouterSnapshot { return sim.OpenRouterSnapshot{Keys: ks} }
	for name, c := range map[string]struct {
		snap sim.OpenRouterSnapshot
		want bool
	}{
		"new limit":      {keys(sim.KeySnapshot{Name: "launchpad-u1", Limit: &limit}), true},
		"old limit":      {keys(sim.KeySnapshot{Name: "launchpad-u1", Limit: &other}), false},
		"disabled":       {keys(sim.KeySnapshot{Name: "launchpad-u1", Limit: &limit, Disabled: true}), false},
		"another user's": {keys(sim.KeySnapshot{Name: "launchpad-u2", Limit: &limit}), false},
		"no limit":       {keys(sim.KeySnapshot{Name: "launchpad-u1"}), false},
	} {
		if got := keyOn(c.snap, "u1", pro); got != c.want {
			t.Errorf("%s: keyOn = %v, want %v", name, got, c.want)
		}
	}
}
