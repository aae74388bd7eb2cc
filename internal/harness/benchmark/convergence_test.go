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

// TestRolloutEndToEnd runs rollout_N over three tenants (a canary, then a wave of two, two
// at once), twice, against as many direct applies, and checks the figure and the phases the
// rollout's apply jobs give; the figure itself checks every machine's image on the simulator
// after each side.
func TestRolloutEndToEnd(t *testing.T) {
	env := envForTest(t)
	got := emitted(t, env, Rollout(RolloutOptions{Tenants: 3, MaxParallel: 2, Canary: 1, BatchSize: 2, Runs: 2, Poll: 50 * time.Millisecond}))
	if names := figureNames(got); names != "rollout_3" {
		t.Fatalf("figures %s, want rollout_3", names)
	}
	r := got[0]
	if r.Unit != "s" || r.Value <= 0 || r.Floor == nil || *r.Floor <= 0 || r.Ratio == nil {
		t.Fatalf("rollout_3 = %+v: want seconds against a measured floor", r)
	}
	if n, m := len(r.Details["rollout_s"].([]float64)), len(r.Details["direct_s"].([]float64)); n != 2 || m != 2 {
		t.Errorf("%d rollouts and %d floors timed, want 2 of each", n, m)
	}
	// An apply is the bulk of a tenant's time in the rollout: waiting in the queue and for
	// the step that counts it done are not.
	apply := r.Details["tenant_apply_job_s_median"].(float64)
	if queued, gated := r.Details["tenant_apply_queued_s_median"].(float64), r.Details["tenant_job_finished_to_done_s_median"].(float64); apply <= 0 || queued >= apply || gated < 0 || gated >= apply {
		t.Errorf("per tenant: queued %v s, apply job %v s, job finished to done %v s; want the apply the bulk", queued, apply, gated)
	}
	if direct := r.Details["direct_tenant_apply_s_median"].(float64); direct <= 0 {
		t.Errorf("direct apply per tenant %v s, want measured", direct)
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
	// rollout_N's floor sets the tenant's image the same way.
	out, err = withAttr(tmpl, "image", "registry.fly.io/hermes-agent:9.9.9", "launchpad_tenant")
	if err != nil {
		t.Fatal(err)
	}
	var img struct {
		Resource map[string]map[string]struct {
			Image *string `json:"image"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(out, &img); err != nil {
		t.Fatal(err)
	}
	if got := img.Resource["launchpad_tenant"]["this"].Image; got == nil || *got != "registry.fly.io/hermes-agent:9.9.9" {
		t.Errorf("launchpad_tenant.this.image = %v, want the new image", got)
	}
	if got := img.Resource["launchpad_subkey"]["this"].Image; got != nil {
		t.Errorf("launchpad_subkey.this got an image %q", *got)
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
