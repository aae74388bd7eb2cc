package fly_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// Contract tests: the client against the Fly simulator, an independent reading of the
// Machines API (internal/sim shares no code with this package).

func newSimClient(t *testing.T, s *simtest.FlyServer, retry fly.RetryPolicy) *fly.Client {
	t.Helper()
	c, err := fly.New(context.Background(), fly.Config{BaseURL: s.URL, Token: s.Token, Org: "personal", Retry: retry, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractTenantLifecycle(t *testing.T) {
	for _, limits := range []bool{false, true} {
		t.Run(fmt.Sprintf("rate_limits=%v", limits), func(t *testing.T) {
			if limits && testing.Short() {
				t.Skip("-short: the rate-limited run waits out real 1s Retry-Afters (about 8s)")
			}
			tenantLifecycle(t, limits)
		})
	}
}

// tenantLifecycle runs one tenant through its whole life. With Fly's per-machine rate
// limits on (1 action a second, bursts of 3), the client must ride out the 429s by
// honouring Retry-After.
func tenantLifecycle(t *testing.T, rateLimits bool) {
	s := simtest.StartFly(t, sim.FlyOptions{RateLimits: rateLimits})
	var execs [][]string
	s.Sim.ExecHook(func(app, id string, cmd []string) (string, string, int) {
		execs = append(execs, cmd)
		return "hello\n", "", 7
	})
	c := newSimClient(t, s, fly.RetryPolicy{})
	ctx := context.Background()
	const app = "lp-hermes-abc12345-t1x2y3"

	a, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app, Network: app})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != app || a.Network != app || a.Org != "personal" {
		t.Errorf("app = %+v", a)
	}
	if _, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app, Network: app}); !launchpad.IsConflict(err) {
		t.Errorf("CreateApp of a taken name: %v, want conflict", err)
	}
	apps, err := c.ListApps(ctx, "")
	if err != nil || len(apps) != 1 || apps[0].Name != app {
		t.Errorf("ListApps = %v, %v", apps, err)
	}

	vol, err := c.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 3, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	if !vol.Encrypted || vol.SizeGB != 3 || vol.Region != "ams" || vol.Name != "workspace" {
		t.Errorf("volume = %+v", vol)
	}
	v4, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	v6, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv6})
	if err != nil {
		t.Fatal(err)
	}
	if v4.Type != launchpad.IPv4 || v4.Shared || v6.Type != launchpad.IPv6 {
		t.Errorf("ips = %+v %+v", v4, v6)
	}
	set, err := c.SetSecret(ctx, app, launchpad.KeySecretName, "sk-or-v1-contract-secret")
	if err != nil || set.Digest == "" || set.Version == 0 {
		t.Fatalf("SetSecret = %+v, %v", set, err)
	}

	spec := launchpad.MachineSpec{
		Name: "agent", Region: "ams", Image: "registry.fly.io/hermes:1",
		Guest:    launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024},
		Env:      map[string]string{"PRODUCT": "hermes"},
		Mounts:   []launchpad.Mount{{VolumeID: vol.ID, Path: launchpad.WorkspaceMount}},
		Metadata: map[string]string{"launchpad_user": "abc12345"},
	}
	m, err := c.CreateMachine(ctx, app, spec)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "agent" || m.Image != spec.Image || m.Guest != spec.Guest || m.Env["PRODUCT"] != "hermes" ||
		len(m.Mounts) != 1 || m.Mounts[0].VolumeID != vol.ID || m.Mounts[0].Path != launchpad.WorkspaceMount || m.Metadata["launchpad_user"] != "abc12345" {
		t.Errorf("machine = %+v", m)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "started", 10*time.Second); err != nil {
		t.Fatalf("WaitMachine started: %v", err)
	}

	// Plan change: guest updated in place under a lease, volume extended, never shrunk.
	spec.Guest = launchpad.Guest{CPUKind: "performance", CPUs: 2, MemoryMB: 4096}
	updated, err := c.UpdateMachine(ctx, app, m.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Guest != spec.Guest || updated.InstanceID == m.InstanceID {
		t.Errorf("updated = %+v (was instance %s)", updated, m.InstanceID)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "started", 10*time.Second); err != nil {
		t.Fatalf("WaitMachine started after the update: %v", err)
	}
	grown, err := c.ExtendVolume(ctx, app, vol.ID, 5)
	if err != nil || grown.SizeGB != 5 || !grown.NeedsRestart {
		t.Errorf("ExtendVolume = %+v, %v; want 5 GB, needing a restart of the machine mounting it", grown, err)
	}
	if _, err := c.ExtendVolume(ctx, app, vol.ID, 4); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("shrink: %v, want invalid", err)
	}

	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "stopped", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.StopMachine(ctx, app, m.ID); err != nil {
		t.Errorf("StopMachine of a stopped machine: %v, want done", err)
	}
	if err := c.StartMachine(ctx, app, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "started", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetMachine(ctx, app, m.ID)
	if err != nil || got.State != "started" {
		t.Errorf("GetMachine = %+v, %v", got, err)
	}
	events, err := c.MachineEvents(ctx, app, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range events {
		types = append(types, e.Type)
		if e.Time.IsZero() || (i > 0 && e.Time.Before(events[i-1].Time)) {
			t.Errorf("event %d time %s not oldest first", i, e.Time)
		}
	}
	if len(types) < 4 || types[0] != "launch" || !slices.Contains(types, "exit") || types[len(types)-1] != "start" {
		t.Errorf("event types = %v, want launch … exit … start", types)
	}

	res, err := c.Exec(ctx, app, m.ID, []string{"ls", "-la", "/workspace"}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 || res.Stdout != "hello\n" || len(execs) != 1 || !slices.Equal(execs[0], []string{"ls", "-la", "/workspace"}) {
		t.Errorf("exec = %+v, the machine saw %v", res, execs)
	}

	snap := s.Sim.Snapshot()
	if len(snap.Apps) != 1 {
		t.Fatalf("snapshot apps = %d", len(snap.Apps))
	}
	sa := snap.Apps[0]
	if sa.Network != app || len(sa.Volumes) != 1 || !sa.Volumes[0].Encrypted || len(sa.IPs) != 2 || len(sa.Secrets) != 1 || sa.Secrets[0].Digest != set.Digest {
		t.Errorf("snapshot app = %+v", sa)
	}
	for _, mm := range sa.Machines {
		if !mm.LeaseExpiresAt.IsZero() {
			t.Errorf("machine %s still holds a lease", mm.ID)
		}
	}

	// Teardown in the provider's order; a second delete of each is ENOTFOUND.
	if err := c.DestroyMachine(ctx, app, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitMachine(ctx, app, m.ID, "destroyed", 10*time.Second); err != nil {
		t.Errorf("WaitMachine destroyed: %v", err)
	}
	if err := c.DestroyMachine(ctx, app, m.ID, true); !launchpad.IsNotFound(err) {
		t.Errorf("second DestroyMachine: %v, want not_found", err)
	}
	if err := c.DeleteVolume(ctx, app, vol.ID); err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{v4.Address, v6.Address} {
		if err := c.ReleaseIP(ctx, app, ip); err != nil {
			t.Fatal(err)
		}
		if err := c.ReleaseIP(ctx, app, ip); !launchpad.IsNotFound(err) {
			t.Errorf("second ReleaseIP: %v, want not_found", err)
		}
	}
	if err := c.DeleteSecret(ctx, app, launchpad.KeySecretName); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetApp(ctx, app); !launchpad.IsNotFound(err) {
		t.Errorf("GetApp after delete: %v, want not_found", err)
	}
	if err := c.DeleteApp(ctx, app); !launchpad.IsNotFound(err) {
		t.Errorf("second DeleteApp: %v, want not_found", err)
	}
	if left := s.Sim.Snapshot().Apps; len(left) != 0 {
		t.Errorf("left in the simulator: %+v", left)
	}
}

func TestContractWrongTokenIsUnauthorized(t *testing.T) {
	s := simtest.StartFly(t, sim.FlyOptions{})
	c, err := fly.New(context.Background(), fly.Config{BaseURL: s.URL, Token: "fo1_wrong-token-value", Org: "personal"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetApp(context.Background(), "lp-a-b-c")
	if launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED {
		t.Errorf("GetApp with a wrong token: %v, want unauthorized", err)
	}
}

// With a fifth of requests failing with 5xx, a tenth rate limited and a tenth applied but
// their answer dropped, 20 tenants are created and destroyed. The simulator must end up
// with exactly one app, volume, machine, IPv4, IPv6 and secret per tenant — no duplicate
// from a retried create — and nothing at all after the teardown.
func TestContractFaultsMakeNoDuplicates(t *testing.T) {
	s := simtest.StartFly(t, sim.FlyOptions{Faults: sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.1, DropRate: 0.1, Seed: 7}})
	// Many attempts and tiny waits: the sim's 429s ask for 1s, which the cap shortens.
	c := newSimClient(t, s, fly.RetryPolicy{MaxAttempts: 15, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Millisecond})
	ctx := context.Background()
	const tenants = 20
	type tenant struct {
		app, volume, machine, v4, v6 string
	}
	var made []tenant
	for i := range tenants {
		app := fmt.Sprintf("lp-hermes-u%07d-t%d", i, i)
		tn := tenant{app: app}
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("tenant %d: %s: %v", i, what, err)
			}
		}
		_, err := c.CreateApp(ctx, launchpad.AppSpec{Name: app, Network: app})
		must("CreateApp", err)
		v, err := c.CreateVolume(ctx, app, launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 1, Encrypted: true})
		must("CreateVolume", err)
		tn.volume = v.ID
		m, err := c.CreateMachine(ctx, app, launchpad.MachineSpec{Name: "agent", Region: "ams", Image: "registry.fly.io/hermes:1",
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 512}, Mounts: []launchpad.Mount{{VolumeID: v.ID, Path: launchpad.WorkspaceMount}}})
		must("CreateMachine", err)
		must("WaitMachine", c.WaitMachine(ctx, app, m.ID, launchpad.MachineStarted, 30*time.Second))
		tn.machine = m.ID
		ip4, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv4})
		must("AllocateIP v4", err)
		ip6, err := c.AllocateIP(ctx, app, launchpad.IPSpec{Type: launchpad.IPv6})
		must("AllocateIP v6", err)
		tn.v4, tn.v6 = ip4.Address, ip6.Address
		_, err = c.SetSecret(ctx, app, launchpad.KeySecretName, fmt.Sprintf("sk-or-v1-tenant-%d", i))
		must("SetSecret", err)
		made = append(made, tn)
	}

	snap := s.Sim.Snapshot()
	t.Logf("faults injected while creating: %+v", snap.Faults)
	if snap.Faults.Dropped == 0 || snap.Faults.Errors == 0 || snap.Faults.RateLimited == 0 {
		t.Errorf("the faults did not all happen (%+v): the test proves nothing", snap.Faults)
	}
	if len(snap.Apps) != tenants {
		t.Errorf("apps = %d, want %d", len(snap.Apps), tenants)
	}
	for i, a := range snap.Apps {
		tn := made[slices.IndexFunc(made, func(x tenant) bool { return x.app == a.Name })]
		var v4, v6 []string
		for _, ip := range a.IPs {
			switch ip.Type {
			case "v4":
				v4 = append(v4, ip.Address)
			case "v6":
				v6 = append(v6, ip.Address)
			default:
				t.Errorf("app %s has an unexpected %s address", a.Name, ip.Type)
			}
		}
		var live []sim.MachineSnapshot
		for _, m := range a.Machines {
			if m.State != "destroyed" {
				live = append(live, m)
			}
		}
		switch {
		case len(a.LiveVolumes()) != 1 || a.Volumes[0].ID != tn.volume || a.Volumes[0].Name != "workspace" || !a.Volumes[0].Encrypted:
			t.Errorf("app %d %s: volumes %+v, want exactly %s", i, a.Name, a.Volumes, tn.volume)
		case len(a.Machines) != 1 || len(live) != 1 || live[0].ID != tn.machine || live[0].Name != "agent":
			t.Errorf("app %d %s: machines %+v, want exactly %s", i, a.Name, a.Machines, tn.machine)
		case len(v4) != 1 || v4[0] != tn.v4 || len(v6) != 1 || v6[0] != tn.v6:
			t.Errorf("app %d %s: v4 %v v6 %v, want exactly %s and %s", i, a.Name, v4, v6, tn.v4, tn.v6)
		case len(a.Secrets) != 1 || a.Network != a.Name:
			t.Errorf("app %d %s: secrets %+v network %q", i, a.Name, a.Secrets, a.Network)
		}
	}

	// Teardown, treating not-found as done (as the provider does).
	done := func(what string, err error) {
		t.Helper()
		if err != nil && !launchpad.IsNotFound(err) {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, tn := range made {
		done("DestroyMachine "+tn.app, c.DestroyMachine(ctx, tn.app, tn.machine, true))
		done("WaitMachine destroyed "+tn.app, c.WaitMachine(ctx, tn.app, tn.machine, launchpad.MachineDestroyed, 30*time.Second))
		done("DeleteVolume "+tn.app, c.DeleteVolume(ctx, tn.app, tn.volume))
		done("ReleaseIP v4 "+tn.app, c.ReleaseIP(ctx, tn.app, tn.v4))
		done("ReleaseIP v6 "+tn.app, c.ReleaseIP(ctx, tn.app, tn.v6))
		done("DeleteSecret "+tn.app, c.DeleteSecret(ctx, tn.app, launchpad.KeySecretName))
		done("DeleteApp "+tn.app, c.DeleteApp(ctx, tn.app))
	}
	if left := s.Sim.Snapshot(); len(left.Apps) != 0 {
		t.Errorf("left in the simulator after teardown: %+v", left.Apps)
	}
}

// The client's default attempts carry an app read through a cloud's bad day (30% of
// requests failing); the waits are shortened so the test takes seconds.
func TestDefaultAttemptsAbsorbACloudBadDay(t *testing.T) {
	s := simtest.StartFly(t, sim.FlyOptions{})
	c := newSimClient(t, s, fly.RetryPolicy{InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxRetryAfter: time.Microsecond})
	ctx := context.Background()
	if _, err := c.CreateApp(ctx, launchpad.AppSpec{Name: "lp-hermes-baddays-1", Org: "personal", Network: "lp-hermes-baddays-1"}); err != nil {
		t.Fatal(err)
	}
	simtest.SurvivesACloudBadDay(t, s.Sim, func() error {
		_, err := c.GetApp(ctx, "lp-hermes-baddays-1")
		return err
	})
}
