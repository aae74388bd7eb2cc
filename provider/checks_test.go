package provider

import (
	"context"
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// flyApp finds an app in the Fly simulator's snapshot.
func (e *testEnv) flyApp(name string) (*sim.FlyAppSnapshot, error) {
	for _, a := range e.fly.Sim.Snapshot().Apps {
		if a.Name == name {
			return &a, nil
		}
	}
	return nil, fmt.Errorf("app %s is not in the Fly simulator", name)
}

// keep records attribute attr of addr in *into, for a later step of the test to use.
func keep(addr, attr string, into *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		*into = s.RootModule().Resources[addr].Primary.Attributes[attr]
		return nil
	}
}

// checkBoundary checks, in the simulator itself, that the tenant in state is the boundary
// DESIGN.md promises: its own network, a dedicated IPv4 and an IPv6, one encrypted volume
// mounted at /workspace by its one live machine of the given size, and the key as a secret
// whose digest state records.
func (e *testEnv) checkBoundary(addr string, guest launchpad.Guest, volumeGB int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		return e.verifyBoundary(rs.Primary.Attributes, guest, volumeGB)
	}
}

func (e *testEnv) verifyBoundary(at map[string]string, guest launchpad.Guest, volumeGB int) error {
	{
		app, err := e.flyApp(at["app_name"])
		if err != nil {
			return err
		}
		if app.Network != app.Name || at["network"] != app.Name {
			return fmt.Errorf("app %s is on network %q (state %q), want its own", app.Name, app.Network, at["network"])
		}
		var v4, v6 int
		for _, ip := range app.IPs {
			switch {
			case ip.Type == "v4" && !ip.Shared && ip.Address == at["ipv4"]:
				v4++
			case ip.Type == "v6" && ip.Address == at["ipv6"]:
				v6++
			}
		}
		if v4 != 1 || v6 != 1 || len(app.IPs) != 2 {
			return fmt.Errorf("app %s has IPs %+v, want exactly the dedicated v4 %s and v6 %s", app.Name, app.IPs, at["ipv4"], at["ipv6"])
		}
		// A deleted volume stays listed as pending_destroy for a while, as on Fly: only the
		// live ones count.
		live := app.LiveVolumes()
		if len(live) != 1 {
			return fmt.Errorf("app %s has %d live volumes (%+v), want 1", app.Name, len(live), app.Volumes)
		}
		vol := live[0]
		if !vol.Encrypted || vol.SizeGB != volumeGB || vol.ID != at["volume_id"] {
			return fmt.Errorf("volume %+v: want encrypted, %d GB, id %s", vol, volumeGB, at["volume_id"])
		}
		var machines []sim.MachineSnapshot
		for _, m := range app.Machines {
			if m.State != "destroyed" {
				machines = append(machines, m)
			}
		}
		if len(machines) != 1 {
			return fmt.Errorf("app %s has %d live machines, want 1", app.Name, len(machines))
		}
		m := machines[0]
		if m.ID != at["machine_id"] || m.State != "started" || vol.AttachedMachineID != m.ID {
			return fmt.Errorf("machine %s (%s), volume attached to %q; state says machine %s", m.ID, m.State, vol.AttachedMachineID, at["machine_id"])
		}
		if m.Guest.CPUKind != guest.CPUKind || m.Guest.CPUs != guest.CPUs || m.Guest.MemoryMB != guest.MemoryMB {
			return fmt.Errorf("machine guest %+v, want %+v", m.Guest, guest)
		}
		if len(m.Mounts) != 1 || m.Mounts[0].Volume != vol.ID || m.Mounts[0].Path != "/workspace" {
			return fmt.Errorf("machine mounts %+v, want volume %s at /workspace", m.Mounts, vol.ID)
		}
		if _, ok := m.Env[launchpad.KeySecretName]; ok {
			return fmt.Errorf("the model key is in the machine's plain env")
		}
		if len(app.Secrets) != 1 || app.Secrets[0].Name != launchpad.KeySecretName || app.Secrets[0].Digest != at["secret_digest"] {
			return fmt.Errorf("secrets %+v, want only %s with digest %s", app.Secrets, launchpad.KeySecretName, at["secret_digest"])
		}
		return runsCurrent(app, m, vol)
	}
}

// runsCurrent checks what the machine itself sees: the app's current secrets version (a new
// key reaches a machine only through an update for that version) and the volume's whole size
// (a volume grown under a running machine is seen only once it boots again).
func runsCurrent(app *sim.FlyAppSnapshot, m sim.MachineSnapshot, vol sim.VolumeSnapshot) error {
	if m.SecretsVersion != app.SecretsVersion || m.Secrets[launchpad.KeySecretName] != secretDigestOf(app) {
		return fmt.Errorf("machine %s runs secrets version %d (key %s); the app is at version %d (key %s)",
			m.ID, m.SecretsVersion, m.Secrets[launchpad.KeySecretName], app.SecretsVersion, secretDigestOf(app))
	}
	if vol.FilesystemSizeGB != vol.SizeGB {
		return fmt.Errorf("machine %s sees a %d GB filesystem on its %d GB volume: it was not restarted after the volume grew",
			m.ID, vol.FilesystemSizeGB, vol.SizeGB)
	}
	return nil
}

// secretDigestOf is the digest of the app's model key secret, "" when there is none.
func secretDigestOf(app *sim.FlyAppSnapshot) string {
	for _, s := range app.Secrets {
		if s.Name == launchpad.KeySecretName {
			return s.Digest
		}
	}
	return ""
}

// checkKeyLimit checks the key at OpenRouter has the limit OpenRouter enforces.
func (e *testEnv) checkKeyLimit(addr string, limit float64) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		return e.verifyKeyLimit(s.RootModule().Resources[addr].Primary.ID, limit)
	}
}

func (e *testEnv) verifyKeyLimit(hash string, limit float64) error {
	{
		for _, k := range e.or.Sim.Snapshot().Keys {
			if k.Hash != hash {
				continue
			}
			if k.Limit == nil || *k.Limit != limit || k.LimitReset != "monthly" || k.IncludeBYOKInLimit {
				return fmt.Errorf("key %s: limit %v reset %q byok %v, want %g monthly false", hash, k.Limit, k.LimitReset, k.IncludeBYOKInLimit, limit)
			}
			return nil
		}
		return fmt.Errorf("key %s is not at OpenRouter", hash)
	}
}

// checkStoredTenant checks the store's record matches state, so the control plane sees what
// Terraform made.
func (e *testEnv) checkStoredTenant(addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		at := s.RootModule().Resources[addr].Primary.Attributes
		rec, err := e.store.GetTenant(context.Background(), at["app_name"])
		if err != nil {
			return err
		}
		if rec.MachineID != at["machine_id"] || rec.VolumeID != at["volume_id"] || rec.IPv4 != at["ipv4"] ||
			string(rec.KeySource) != at["key_source"] || rec.Plan != at["plan"] || rec.UserID != at["user_id"] {
			return fmt.Errorf("store record %+v does not match state %v", rec, at)
		}
		return nil
	}
}

// checkNothingLeft is every destroy's check: the simulators and the store hold nothing.
func (e *testEnv) checkNothingLeft(*terraform.State) error {
	ctx := context.Background()
	if apps := e.fly.Sim.Snapshot().Apps; len(apps) > 0 {
		return fmt.Errorf("%d apps left at Fly after destroy, first %s", len(apps), apps[0].Name)
	}
	if keys := e.or.Sim.Snapshot().Keys; len(keys) > 0 {
		return fmt.Errorf("%d keys left at OpenRouter after destroy, first %s", len(keys), keys[0].Hash)
	}
	if ts, err := e.store.ListTenants(ctx, launchpad.TenantFilter{}); err != nil || len(ts) > 0 {
		return fmt.Errorf("tenants left in the store: %d (%v)", len(ts), err)
	}
	if ks, err := e.store.ListSubKeys(ctx, launchpad.SubKeyFilter{}); err != nil || len(ks) > 0 {
		return fmt.Errorf("sub-keys left in the store: %d (%v)", len(ks), err)
	}
	users, err := e.store.ListUsers(ctx, "", 1000)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.OpenRouterKey != "" {
			return fmt.Errorf("user %s still holds a sealed sub-key", u.ID)
		}
	}
	return e.checkNoPlans(nil)
}

// resizeOutOfBand changes the tenant machine's size behind Terraform's back.
func (e *testEnv) resizeOutOfBand(app string, cpus, memoryMB int) {
	e.t.Helper()
	ctx := context.Background()
	ms, err := e.runtime.ListMachines(ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range ms {
		if m.State == "destroyed" {
			continue
		}
		spec := launchpad.MachineSpec{
			Name: m.Name, Region: m.Region, Image: m.Image, Env: m.Env, Mounts: m.Mounts, Metadata: m.Metadata,
			Guest: launchpad.Guest{CPUKind: "shared", CPUs: cpus, MemoryMB: memoryMB},
		}
		if _, err := e.runtime.UpdateMachine(ctx, app, m.ID, spec); err != nil {
			e.t.Fatalf("resize machine out of band: %v", err)
		}
		return
	}
	e.t.Fatalf("no live machine in %s", app)
}

// jsonAttributes returns a resource's attributes from the JSON state, as strings.
func jsonAttributes(s *tfjson.State, addr string) (map[string]string, error) {
	if s == nil || s.Values == nil || s.Values.RootModule == nil {
		return nil, fmt.Errorf("no state")
	}
	for _, r := range s.Values.RootModule.Resources {
		if r.Address != addr {
			continue
		}
		at := make(map[string]string, len(r.AttributeValues))
		for k, v := range r.AttributeValues {
			if v != nil {
				at[k] = fmt.Sprint(v)
			}
		}
		return at, nil
	}
	return nil, fmt.Errorf("%s not in state", addr)
}
