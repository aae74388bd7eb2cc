package fly

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// ambiguousFaults are the ways a create can be applied by Fly while the client never learns
// it: the connection dropped, a 5xx after the fact, no answer until the client's timeout.
var ambiguousFaults = map[string]sim.ScriptedFault{
	"dropped connection": simtest.DropAfter(),
	"503 after applying": simtest.FailAfter(503),
	"timeout":            simtest.HangAfter(),
}

// forEachAmbiguousFault runs check once per ambiguous fault, each time on a new simulator
// with a client that gives up on an answer after 200ms, so the timeout fault is quick.
func forEachAmbiguousFault(t *testing.T, check func(t *testing.T, s *simtest.FlyServer, c *Client, flt sim.ScriptedFault)) {
	for name, flt := range ambiguousFaults {
		t.Run(name, func(t *testing.T) {
			s := startSim(t, sim.FlyOptions{})
			c, _ := simClient(t, s, func(c *Config) { c.Timeout = 200 * time.Millisecond })
			check(t, s, c, flt)
		})
	}
}

func TestCreateAppAfterAmbiguousFailureMakesNoDuplicate(t *testing.T) {
	forEachAmbiguousFault(t, func(t *testing.T, s *simtest.FlyServer, c *Client, flt sim.ScriptedFault) {
		s.Sim.ScriptFaults("POST /v1/apps", flt)
		app, err := c.CreateApp(context.Background(), launchpad.AppSpec{Name: "lp-a-u-1"})
		if err != nil {
			t.Fatalf("CreateApp: %v", err)
		}
		if app.Name != "lp-a-u-1" || app.Network != "lp-a-u-1" || app.Org != "personal" {
			t.Errorf("app = %+v, want name, network = name, org personal", app)
		}
		if n := len(sent(s, "POST /v1/apps")); n != 1 {
			t.Errorf("creates sent = %d, want 1 (the lookup found the app)", n)
		}
		if n := len(s.Sim.Snapshot().Apps); n != 1 {
			t.Errorf("apps = %d, want 1", n)
		}
	})
}

func TestCreateAppNameTakenIsConflict(t *testing.T) {
	_, c := appOnSim(t)
	_, err := c.CreateApp(context.Background(), launchpad.AppSpec{Name: "lp-a-u-1"})
	if !launchpad.IsConflict(err) {
		t.Fatalf("second CreateApp: %v, want conflict", err)
	}
}

func TestCreateVolumeAfterAmbiguousFailureMakesNoDuplicate(t *testing.T) {
	forEachAmbiguousFault(t, func(t *testing.T, s *simtest.FlyServer, c *Client, flt sim.ScriptedFault) {
		ctx := context.Background()
		seedApp(t, c, "lp-a-u-1")
		// A volume of the same name that existed before is not mistaken for ours.
		old, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 1, Encrypted: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Sim.ScriptFaults("POST /v1/apps/{app}/volumes", flt)
		v, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 3, Encrypted: true})
		if err != nil {
			t.Fatalf("CreateVolume: %v", err)
		}
		if v.ID == old.ID || v.SizeGB != 3 || !v.Encrypted {
			t.Errorf("volume = %+v, want the new encrypted 3 GB one (old %s)", v, old.ID)
		}
		if n := len(sent(s, "POST /v1/apps/lp-a-u-1/volumes")); n != 2 {
			t.Errorf("creates sent = %d, want 2 (one per CreateVolume)", n)
		}
		if n := len(app(t, s, "lp-a-u-1").Volumes); n != 2 {
			t.Errorf("volumes = %d, want 2", n)
		}
	})
}

func TestCreateMachineAfterAmbiguousFailureMakesNoDuplicate(t *testing.T) {
	forEachAmbiguousFault(t, func(t *testing.T, s *simtest.FlyServer, c *Client, flt sim.ScriptedFault) {
		seedApp(t, c, "lp-a-u-1")
		s.Sim.ScriptFaults("POST /v1/apps/{app}/machines", flt)
		m, err := c.CreateMachine(context.Background(), "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Region: "ams", Image: "registry.fly.io/hermes:1"})
		if err != nil {
			t.Fatalf("CreateMachine: %v", err)
		}
		if m.Name != "agent" || m.ID == "" {
			t.Errorf("machine = %+v", m)
		}
		if n := len(sent(s, "POST /v1/apps/lp-a-u-1/machines")); n != 1 {
			t.Errorf("creates sent = %d, want 1", n)
		}
		if n := len(app(t, s, "lp-a-u-1").Machines); n != 1 {
			t.Errorf("machines = %d, want 1", n)
		}
	})
}

func TestAllocateIPAfterAmbiguousFailureMakesNoDuplicate(t *testing.T) {
	forEachAmbiguousFault(t, func(t *testing.T, s *simtest.FlyServer, c *Client, flt sim.ScriptedFault) {
		ctx := context.Background()
		seedApp(t, c, "lp-a-u-1")
		v6, err := c.AllocateIP(ctx, "lp-a-u-1", launchpad.IPSpec{Type: launchpad.IPv6})
		if err != nil {
			t.Fatal(err)
		}
		s.Sim.ScriptFaults("POST /v1/apps/{app}/ip_assignments", flt)
		v4, err := c.AllocateIP(ctx, "lp-a-u-1", launchpad.IPSpec{Type: launchpad.IPv4})
		if err != nil {
			t.Fatalf("AllocateIP v4: %v", err)
		}
		if v4.Type != launchpad.IPv4 || v4.Shared || v4.Address == v6.Address {
			t.Errorf("v4 = %+v, want a new dedicated IPv4", v4)
		}
		if n := len(app(t, s, "lp-a-u-1").IPs); n != 2 {
			t.Errorf("addresses = %d, want 2 (one v6, one v4)", n)
		}
	})
}

// When the create was not applied at all, the lookup finds nothing and the create is sent
// again.
func TestCreateIsResentWhenTheLookupFindsNothing(t *testing.T) {
	s, c := appOnSim(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	s.Sim.ScriptFaults("POST /v1/apps/{app}/volumes",
		simtest.Respond(502),
		simtest.Delay(time.Minute)) // the client gives up first
	v, err := c.CreateVolume(context.Background(), "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 1, Encrypted: true})
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	if n := len(sent(s, "POST /v1/apps/lp-a-u-1/volumes")); n != 3 {
		t.Errorf("creates sent = %d, want 3", n)
	}
	if vols := app(t, s, "lp-a-u-1").Volumes; len(vols) != 1 || vols[0].ID != v.ID {
		t.Errorf("volumes = %d, want exactly the returned one", len(vols))
	}
}

// An ambiguous last attempt is still checked: if it was applied, the call succeeds.
func TestLastAmbiguousAttemptIsChecked(t *testing.T) {
	s, c := appOnSim(t, func(c *Config) { c.Retry.MaxAttempts = 1 })
	s.Sim.ScriptFaults("POST /v1/apps/{app}/machines", simtest.DropAfter())
	if _, err := c.CreateMachine(context.Background(), "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Image: "img"}); err != nil {
		t.Fatalf("CreateMachine with one attempt that was applied: %v", err)
	}
}

func TestExtendVolumeAfterAmbiguousFailureIsNotRepeated(t *testing.T) {
	s, c := appOnSim(t)
	ctx := context.Background()
	v, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "data", Region: "ams", SizeGB: 1, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Sim.ScriptFaults("PUT /v1/apps/{app}/volumes/{id}/extend", simtest.DropAfter())
	got, err := c.ExtendVolume(ctx, "lp-a-u-1", v.ID, 4)
	if err != nil || got.SizeGB != 4 {
		t.Fatalf("ExtendVolume: %+v, %v", got, err)
	}
	if n := len(sent(s, "PUT /v1/apps/lp-a-u-1/volumes/"+v.ID+"/extend")); n != 1 {
		t.Errorf("extend requests = %d, want 1", n)
	}
}

func TestExecIsNotResentAfterAmbiguousFailure(t *testing.T) {
	s, c, _, m := machineOnSim(t)
	ctx := context.Background()
	s.Sim.ScriptFaults("POST /v1/apps/{app}/machines/{id}/exec", simtest.DropAfter())
	_, err := c.Exec(ctx, "lp-a-u-1", m.ID, []string{"touch", "/workspace/x"}, time.Second)
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("Exec: %v, want unavailable", err)
	}
	if n := len(sent(s, "POST /v1/apps/lp-a-u-1/machines/"+m.ID+"/exec")); n != 1 {
		t.Errorf("exec requests = %d, want 1: a command must not run twice", n)
	}
	if execs := app(t, s, "lp-a-u-1").Machines[0].Execs; len(execs) != 1 {
		t.Errorf("commands the machine ran = %d, want 1", len(execs))
	}
	// A 429 is a refusal before anything ran: that one is retried.
	s.Sim.ScriptFaults("POST /v1/apps/{app}/machines/{id}/exec", simtest.Respond(429))
	if _, err := c.Exec(ctx, "lp-a-u-1", m.ID, []string{"true"}, time.Second); err != nil {
		t.Errorf("Exec after a 429: %v", err)
	}
}

// Fly answers needs_restart when the extended volume is mounted by a running machine; the
// client hands it on, also when the answer was lost and the extend is found done.
func TestExtendVolumeSaysWhetherTheMachineMustRestart(t *testing.T) {
	s, c := appOnSim(t)
	ctx := context.Background()
	spare, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "spare", Region: "iad", SizeGB: 1, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.ExtendVolume(ctx, "lp-a-u-1", spare.ID, 2); err != nil || v.NeedsRestart || v.SizeGB != 2 {
		t.Errorf("extend a volume no machine mounts = %+v, %v; want 2 GB, no restart", v, err)
	}
	vol, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "workspace", Region: "iad", SizeGB: 1, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.CreateMachine(ctx, "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Region: "iad", Image: "img", Mounts: []launchpad.Mount{{VolumeID: vol.ID, Path: "/workspace"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitMachine(ctx, "lp-a-u-1", m.ID, launchpad.MachineStarted, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if v, err := c.ExtendVolume(ctx, "lp-a-u-1", vol.ID, 2); err != nil || !v.NeedsRestart {
		t.Errorf("extend the volume of a running machine = %+v, %v; want needs restart", v, err)
	}
	s.Sim.ScriptFaults("PUT /v1/apps/{app}/volumes/{id}/extend", simtest.DropAfter())
	if v, err := c.ExtendVolume(ctx, "lp-a-u-1", vol.ID, 3); err != nil || !v.NeedsRestart || v.SizeGB != 3 {
		t.Errorf("extend whose answer was lost = %+v, %v; want 3 GB, needing a restart (the volume is mounted)", v, err)
	}
}

// A machine created or updated for a secrets version asks Fly for it (min_secrets_version):
// without it Fly gives the newest version that has reached the host, perhaps the one before.
func TestMachinesAskForTheSecretsVersion(t *testing.T) {
	s, c := appOnSim(t)
	ctx := context.Background()
	set, err := c.SetSecret(ctx, "lp-a-u-1", launchpad.KeySecretName, "sk-or-v1-first")
	if err != nil || set.Version == 0 {
		t.Fatalf("SetSecret = %+v, %v; want a version", set, err)
	}
	m, err := c.CreateMachine(ctx, "lp-a-u-1", launchpad.MachineSpec{Name: "agent", Image: "img", MinSecretsVersion: set.Version})
	if err != nil {
		t.Fatal(err)
	}
	if body := lastSent(t, s, "POST /v1/apps/lp-a-u-1/machines").Body; !strings.Contains(body, fmt.Sprintf(`"min_secrets_version":%d`, set.Version)) {
		t.Errorf("create body %s does not ask for secrets version %d", body, set.Version)
	}
	if got := machine(t, s, m.ID); got.SecretsVersion != set.Version || got.Secrets[launchpad.KeySecretName] != sim.SecretDigest("sk-or-v1-first") {
		t.Errorf("machine on secrets v%d %v, want v%d", got.SecretsVersion, got.Secrets, set.Version)
	}
	if err := c.WaitMachine(ctx, "lp-a-u-1", m.ID, launchpad.MachineStarted, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	next, err := c.SetSecret(ctx, "lp-a-u-1", launchpad.KeySecretName, "sk-or-v1-second")
	if err != nil || next.Version <= set.Version {
		t.Fatalf("SetSecret = %+v, %v", next, err)
	}
	if _, err := c.UpdateMachine(ctx, "lp-a-u-1", m.ID, launchpad.MachineSpec{Name: "agent", Image: "img", MinSecretsVersion: next.Version}); err != nil {
		t.Fatal(err)
	}
	if got := machine(t, s, m.ID); got.SecretsVersion != next.Version {
		t.Errorf("updated machine on secrets v%d, want v%d", got.SecretsVersion, next.Version)
	}
}
