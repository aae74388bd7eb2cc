package tenant_test

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// Each kind of drift, from a tenant that has been created: what the plan says must change
// (Drift), and that Reconcile repairs it, keeps every part the plan showed as unchanged, and
// leaves nothing for the next plan to find.
func TestReconcileRepairsEachKindOfDrift(t *testing.T) {
	const byok = "sk-or-v1-byok-of-alice-0123456789abcdef"
	cases := []struct {
		name string
		// drift changes the tenant at Fly or in the store, or the settings wanted.
		drift func(t *testing.T, w *tenanttest.World, svc *tenant.Service, tn *launchpad.Tenant, want *tenant.Wanted)
		plan  func(w *tenanttest.World) *launchpad.Plan // the wanted plan's record; nil: starter
		want  tenant.Drift
		check func(t *testing.T, w *tenanttest.World, before, after *tenant.Boundary)
	}{{
		name: "machine deleted",
		drift: func(t *testing.T, w *tenanttest.World, _ *tenant.Service, tn *launchpad.Tenant, _ *tenant.Wanted) {
			must(t, w.Runtime.DestroyMachine(context.Background(), tn.AppName, tn.MachineID, true))
		},
		want: tenant.Drift{Machine: true, Guest: true},
		check: func(t *testing.T, _ *tenanttest.World, before, after *tenant.Boundary) {
			if after.Tenant.MachineID == before.Tenant.MachineID || after.Tenant.MachineState != launchpad.MachineStarted {
				t.Errorf("machine %s %s, want a new one, started", after.Tenant.MachineID, after.Tenant.MachineState)
			}
		},
	}, {
		name: "volume deleted",
		drift: func(t *testing.T, w *tenanttest.World, _ *tenant.Service, tn *launchpad.Tenant, _ *tenant.Wanted) {
			ctx := context.Background()
			must(t, w.Runtime.DestroyMachine(ctx, tn.AppName, tn.MachineID, true))
			must(t, w.Runtime.WaitMachine(ctx, tn.AppName, tn.MachineID, launchpad.MachineDestroyed, time.Minute)) // Fly keeps the volume until then
			must(t, w.Runtime.DeleteVolume(ctx, tn.AppName, tn.VolumeID))
		},
		want: tenant.Drift{Machine: true, Guest: true, Volume: true, VolumeSize: true},
		check: func(t *testing.T, w *tenanttest.World, before, after *tenant.Boundary) {
			app := w.App(after.Tenant.AppName)
			if after.Tenant.VolumeID == before.Tenant.VolumeID || after.VolumeSizeGB != 5 || len(app.Machines) == 0 ||
				app.Machines[len(app.Machines)-1].Mounts[0].Volume != after.Tenant.VolumeID {
				t.Errorf("volume %s of %d GB, want a new 5 GB one mounted by the new machine", after.Tenant.VolumeID, after.VolumeSizeGB)
			}
		},
	}, {
		name: "IPv4 lost",
		drift: func(t *testing.T, w *tenanttest.World, _ *tenant.Service, tn *launchpad.Tenant, _ *tenant.Wanted) {
			must(t, w.Runtime.ReleaseIP(context.Background(), tn.AppName, tn.IPv4))
		},
		want: tenant.Drift{IPv4: true},
		check: func(t *testing.T, _ *tenanttest.World, before, after *tenant.Boundary) {
			if after.Tenant.IPv4 == "" || after.Tenant.IPv4 == before.Tenant.IPv4 {
				t.Errorf("IPv4 %q, want a new dedicated one", after.Tenant.IPv4)
			}
		},
	}, {
		name: "secret lost",
		drift: func(t *testing.T, w *tenanttest.World, _ *tenant.Service, tn *launchpad.Tenant, _ *tenant.Wanted) {
			must(t, w.Runtime.DeleteSecret(context.Background(), tn.AppName, launchpad.KeySecretName))
		},
		want: tenant.Drift{Secret: true},
		check: func(t *testing.T, _ *tenanttest.World, _, after *tenant.Boundary) {
			if after.Tenant.SecretDigest != sim.SecretDigest(subKeyOf("alice01")) {
				t.Errorf("digest %s, want the sub-key delivered again", after.Tenant.SecretDigest)
			}
		},
	}, {
		name: "plan resized",
		drift: func(_ *testing.T, _ *tenanttest.World, _ *tenant.Service, _ *launchpad.Tenant, want *tenant.Wanted) {
			want.Plan = "pro"
		},
		plan: func(w *tenanttest.World) *launchpad.Plan { return w.Pro },
		want: tenant.Drift{Guest: true, VolumeSize: true},
		check: func(t *testing.T, w *tenanttest.World, _, after *tenant.Boundary) {
			if after.Guest != w.Pro.Guest || after.VolumeSizeGB != 20 {
				t.Errorf("size %+v with %d GB, want pro's %+v with 20 GB", after.Guest, after.VolumeSizeGB, w.Pro.Guest)
			}
		},
	}, {
		name: "image changed",
		drift: func(_ *testing.T, _ *tenanttest.World, _ *tenant.Service, _ *launchpad.Tenant, want *tenant.Wanted) {
			want.Image = "registry.fly.io/hermes-agent:1.5.0"
		},
		want: tenant.Drift{Guest: true},
		check: func(t *testing.T, w *tenanttest.World, _, after *tenant.Boundary) {
			if m := w.App(after.Tenant.AppName).Machines[0]; m.Image != "registry.fly.io/hermes-agent:1.5.0" || m.State != "started" {
				t.Errorf("machine runs %s (%s), want the new image, started", m.Image, m.State)
			}
		},
	}, {
		name: "rebuild generation bumped",
		drift: func(_ *testing.T, _ *tenanttest.World, _ *tenant.Service, _ *launchpad.Tenant, want *tenant.Wanted) {
			want.RebuildGeneration = 1
		},
		want: tenant.Drift{Machine: true, Guest: true},
		check: func(t *testing.T, w *tenanttest.World, before, after *tenant.Boundary) {
			var name string
			for _, m := range w.App(after.Tenant.AppName).Machines {
				if m.ID == after.Tenant.MachineID {
					name = m.Name
				}
			}
			if after.Tenant.MachineID == before.Tenant.MachineID || name != "agent-g1" || after.Tenant.VolumeID != before.Tenant.VolumeID {
				t.Errorf("machine %s (%s) on volume %s, want a new agent-g1 on the same volume", after.Tenant.MachineID, name, after.Tenant.VolumeID)
			}
		},
	}, {
		name: "key source moved to a BYOK key stored elsewhere",
		drift: func(t *testing.T, _ *tenanttest.World, svc *tenant.Service, tn *launchpad.Tenant, _ *tenant.Wanted) {
			must(t, svc.StoreBYOK(context.Background(), tn.UserID, byok))
		},
		want: tenant.Drift{Secret: true},
		check: func(t *testing.T, _ *tenanttest.World, _, after *tenant.Boundary) {
			if after.Tenant.KeySource != launchpad.KeySourceBYOK || after.Tenant.SecretDigest != sim.SecretDigest(byok) {
				t.Errorf("key source %s, digest %s; want the BYOK key delivered", after.Tenant.KeySource, after.Tenant.SecretDigest)
			}
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			w, svc, before, _ := alice(t)
			applied := appliedSettings(before)
			want := tenant.Wanted{Settings: applied}
			c.drift(t, w, svc, before.Tenant, &want)
			plan := w.Starter
			if c.plan != nil {
				plan = c.plan(w)
			}

			found := refresh(t, svc, before)
			d := svc.Drift(ctx, found, applied, want, plan)
			if d != c.want {
				t.Fatalf("drift %+v, want %+v", d, c.want)
			}
			after, err := svc.Reconcile(ctx, found, tenant.Change{Plan: plan, Image: want.Image,
				RebuildGeneration: want.RebuildGeneration, SubKeyHash: want.SubKeyHash})
			if err != nil {
				t.Fatalf("reconcile: %v", err)
			}

			// What the plan showed as known stays as it was.
			a, b := after.Tenant, before.Tenant
			for _, part := range []struct {
				name        string
				moved       bool
				after, then string
			}{
				{"machine", d.Machine, a.MachineID, b.MachineID},
				{"volume", d.Volume, a.VolumeID, b.VolumeID},
				{"IPv4", d.IPv4, a.IPv4, b.IPv4},
				{"IPv6", d.IPv6, a.IPv6, b.IPv6},
				{"secret", d.Secret, a.SecretDigest, b.SecretDigest},
			} {
				if !part.moved && part.after != part.then {
					t.Errorf("the %s changed (%s → %s) though the plan showed it unchanged", part.name, part.then, part.after)
				}
			}
			if after.Guest != plan.Guest || a.AppName != b.AppName {
				t.Errorf("app %s sized %+v, want %s sized %+v", a.AppName, after.Guest, b.AppName, plan.Guest)
			}
			c.check(t, w, before, after)

			// And the next plan finds nothing to do.
			if again := svc.Drift(ctx, refresh(t, svc, after), want.Settings, tenant.Wanted{Settings: want.Settings}, plan); again.Any() {
				t.Errorf("after the repair the next plan still finds %+v", again)
			}
		})
	}
}

// A machine stopped at its hour cap stays stopped through a resize: starting it is the
// control plane's decision.
func TestReconcileLeavesAStoppedMachineStopped(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	must(t, w.Runtime.StopMachine(ctx, before.Tenant.AppName, before.Tenant.MachineID))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Pro, Image: tenanttest.Image, SubKeyHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if m := w.App(after.Tenant.AppName).Machines[0]; m.State != "stopped" || after.Guest != w.Pro.Guest {
		t.Errorf("machine %s sized %+v, want it stopped at pro's size", m.State, after.Guest)
	}
}

// A failed repair still returns what was done, for the caller to record.
func TestReconcileReportsProgressWhenItFails(t *testing.T) {
	ctx := context.Background()
	w, svc, before, _ := alice(t)
	must(t, w.Runtime.ReleaseIP(ctx, before.Tenant.AppName, before.Tenant.IPv4))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: "not-alices-key"})
	mustCode(t, err, launchpad.EINVALID)
	if after == nil || after.Tenant.IPv4 == "" || after.VolumeSizeGB != 5 {
		t.Errorf("after a failure: %+v, want the new IPv4 and the volume recorded", after)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// These are the flows that Fly's asynchronous and versioned behaviour used to break (issue
// 16), each on the strict simulator: every one must converge in one call.

// liveMachine is the app's one machine that is not destroyed; the test fails if there is not
// exactly one.
func liveMachine(t *testing.T, app *sim.FlyAppSnapshot) sim.MachineSnapshot {
	t.Helper()
	var live []sim.MachineSnapshot
	for _, m := range app.Machines {
		if m.State != "destroyed" {
			live = append(live, m)
		}
	}
	if len(live) != 1 {
		t.Fatalf("app %s has %d machines that are not destroyed, want 1: %+v", app.Name, len(live), app.Machines)
	}
	return live[0]
}

// onCurrentSecrets fails the test unless the machine runs the app's current secrets version
// with the key whose plaintext is key.
func onCurrentSecrets(t *testing.T, app *sim.FlyAppSnapshot, m sim.MachineSnapshot, key string) {
	t.Helper()
	if m.SecretsVersion != app.SecretsVersion || m.Secrets[launchpad.KeySecretName] != sim.SecretDigest(key) {
		t.Errorf("machine %s runs secrets version %d (key %s); the app is at version %d and the key is %s",
			m.ID, m.SecretsVersion, m.Secrets[launchpad.KeySecretName], app.SecretsVersion, sim.SecretDigest(key))
	}
}

// reconcileNewBYOK stores byok as alice01's key and reconciles her tenant onto it, as an apply
// that changes only the key does; it returns the result, the app at Fly and its live machine.
func reconcileNewBYOK(t *testing.T, w *tenanttest.World, svc *tenant.Service, before *tenant.Boundary, hash, byok string) (*tenant.Boundary, *sim.FlyAppSnapshot, sim.MachineSnapshot) {
	t.Helper()
	ctx := context.Background()
	must(t, svc.StoreBYOK(ctx, "alice01", byok))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, BYOKKeyChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	app := w.App(after.Tenant.AppName)
	return after, app, liveMachine(t, app)
}

// A running machine sees a new secret only once it is updated for the version that holds it
// (Fly: "existing Machines must be updated to pick up secrets"); a stop and start boots it on
// its old version. A new key must reach the running machine.
func TestNewKeyReachesTheRunningMachine(t *testing.T) {
	const byok = "sk-or-v1-byok-of-alice-0123456789abcdef"
	w, svc, before, hash := alice(t)
	onCurrentSecrets(t, w.App(before.Tenant.AppName), liveMachine(t, w.App(before.Tenant.AppName)), subKeyOf("alice01"))

	after, app, m := reconcileNewBYOK(t, w, svc, before, hash, byok)
	if m.ID != before.Tenant.MachineID || m.State != "started" || after.Tenant.MachineState != launchpad.MachineStarted {
		t.Errorf("machine %s %s, want the same machine, started", m.ID, m.State)
	}
	onCurrentSecrets(t, app, m, byok)
}

// A machine stopped at its hour cap gets the new key too, and stays stopped.
func TestNewKeyReachesAStoppedMachine(t *testing.T) {
	const byok = "sk-or-v1-byok-of-alice-0123456789abcdef"
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	tn := before.Tenant
	must(t, w.Runtime.StopMachine(ctx, tn.AppName, tn.MachineID))
	_, app, m := reconcileNewBYOK(t, w, svc, before, hash, byok)
	if m.State != "stopped" {
		t.Errorf("machine %s, want it left stopped", m.State)
	}
	onCurrentSecrets(t, app, m, byok)
}

// A volume grown under a running machine is seen at its new size only once the machine boots
// again (Fly's needs_restart): a plan that only grows the volume must still restart it.
func TestGrownVolumeIsSeenByTheMachine(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	bigger := *w.Starter
	bigger.Name, bigger.VolumeSizeGB = "starter-big", 10 // the same machine, a bigger disk
	must(t, w.Store.CreatePlan(ctx, &bigger))

	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: &bigger, Image: tenanttest.Image, SubKeyHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	app := w.App(after.Tenant.AppName)
	vols := app.LiveVolumes()
	if len(vols) != 1 || vols[0].SizeGB != 10 || vols[0].FilesystemSizeGB != 10 || after.VolumeSizeGB != 10 {
		t.Errorf("volumes %+v, want the one volume at 10 GB and its filesystem too (the machine restarted)", vols)
	}
	if m := liveMachine(t, app); m.State != "started" || m.ID != before.Tenant.MachineID {
		t.Errorf("machine %s %s, want the same machine, started", m.ID, m.State)
	}
}

// Fly answers a destroy at once and keeps the machine's volume until the machine is
// destroyed: a rebuild (destroy, then a new machine on the same volume) waits for it.
func TestRebuildWaitsForTheOldMachine(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash, RebuildGeneration: 1})
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	app := w.App(after.Tenant.AppName)
	m := liveMachine(t, app)
	if m.ID == before.Tenant.MachineID || m.Name != "agent-g1" || m.State != "started" || len(m.Mounts) != 1 || m.Mounts[0].Volume != before.Tenant.VolumeID {
		t.Errorf("machine %s %s %s on %+v, want a new agent-g1, started, on volume %s", m.ID, m.Name, m.State, m.Mounts, before.Tenant.VolumeID)
	}
	onCurrentSecrets(t, app, m, subKeyOf("alice01"))
}

// A machine destroyed outside Launchpad is destroying for a while: the repair that makes a new
// one waits until the volume is free.
func TestRepairAfterAnOutOfBandDestroyWaitsForTheVolume(t *testing.T) {
	ctx := context.Background()
	w, svc, before, hash := alice(t)
	must(t, w.Runtime.DestroyMachine(ctx, before.Tenant.AppName, before.Tenant.MachineID, true))
	after, err := svc.Reconcile(ctx, refresh(t, svc, before), tenant.Change{Plan: w.Starter, Image: tenanttest.Image, SubKeyHash: hash})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if m := liveMachine(t, w.App(after.Tenant.AppName)); m.ID != after.Tenant.MachineID || m.State != "started" {
		t.Errorf("machine %s %s, want the new one, started", m.ID, m.State)
	}
}
