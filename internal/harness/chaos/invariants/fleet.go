package invariants

import (
	"context"
	"fmt"
	"sort"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Fleet is what the simulators and the store hold at one moment.
type Fleet struct {
	Fly        sim.FlySnapshot
	OpenRouter sim.OpenRouterSnapshot
	Tenants    []*launchpad.Tenant // the store's tenant records
	SubKeys    []*launchpad.SubKey // the store's sub-key records
}

// Records is the part of the store a Fleet reads.
type Records interface {
	ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error)
	ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error)
}

// ReadFleet completes the simulators' snapshots (the caller's: in-process simulators, or a
// sandbox's GET /_sim/snapshot) with the store's tenant and sub-key records.
func ReadFleet(ctx context.Context, st Records, fly sim.FlySnapshot, or sim.OpenRouterSnapshot) (Fleet, error) {
	f := Fleet{Fly: fly, OpenRouter: or}
	var err error
	if f.Tenants, err = st.ListTenants(ctx, launchpad.TenantFilter{}); err != nil {
		return f, fmt.Errorf("listing the store's tenants: %w", err)
	}
	if f.SubKeys, err = st.ListSubKeys(ctx, launchpad.SubKeyFilter{}); err != nil {
		return f, fmt.Errorf("listing the store's sub-keys: %w", err)
	}
	return f, nil
}

func (f Fleet) app(name string) *sim.FlyAppSnapshot {
	for i := range f.Fly.Apps {
		if f.Fly.Apps[i].Name == name {
			return &f.Fly.Apps[i]
		}
	}
	return nil
}

func (f Fleet) key(hash string) *sim.KeySnapshot {
	for i := range f.OpenRouter.Keys {
		if f.OpenRouter.Keys[i].Hash == hash {
			return &f.OpenRouter.Keys[i]
		}
	}
	return nil
}

// liveMachines are an app's machines that are not destroyed (a destroyed one lingers as a
// tombstone for a while, as at Fly).
func liveMachines(a *sim.FlyAppSnapshot) []sim.MachineSnapshot {
	var out []sim.MachineSnapshot
	for _, m := range a.Machines {
		if m.State != "destroyed" {
			out = append(out, m)
		}
	}
	return out
}

// OneEach checks that each of users has exactly one tenant — one store record, whose app
// holds exactly one encrypted volume, one live machine, one dedicated IPv4 and one IPv6 and
// one key secret — and exactly one sub-key, live at OpenRouter and the one the tenant uses;
// and that the simulators hold nothing else: every app and every key belongs to one of these
// tenants (anything more is a duplicate or a leak). The subjects are the users, plus one for
// "nothing else".
func (f Fleet) OneEach(users []string) Result {
	r := Result{Name: "one of everything per tenant"}
	want := map[string]bool{}
	for _, u := range users {
		want[u] = true
	}
	for _, u := range users {
		r.Check("user "+u, f.oneTenant(u))
	}
	owned := map[string]bool{} // app names and key hashes owned by a wanted user's records
	for _, t := range f.Tenants {
		if want[t.UserID] {
			owned["app "+t.AppName] = true
		}
	}
	for _, k := range f.SubKeys {
		if want[k.UserID] {
			owned["key "+k.Hash] = true
		}
	}
	var extra []string
	for _, a := range f.Fly.Apps {
		if !owned["app "+a.Name] {
			extra = append(extra, "app "+a.Name)
		}
	}
	for _, k := range f.OpenRouter.Keys {
		if !owned["key "+k.Hash] {
			extra = append(extra, fmt.Sprintf("key %s (name %q, disabled %v)", k.Hash, k.Name, k.Disabled))
		}
	}
	for _, t := range f.Tenants {
		if !want[t.UserID] {
			extra = append(extra, "store tenant record "+t.AppName+" of user "+t.UserID)
		}
	}
	for _, k := range f.SubKeys {
		if !want[k.UserID] {
			extra = append(extra, "store sub-key record "+k.Hash+" of user "+k.UserID)
		}
	}
	sort.Strings(extra)
	if len(extra) == 0 {
		r.Pass()
	} else {
		r.Fail("nothing else: %d more in the simulators or the store, belonging to no expected tenant: %v", len(extra), extra)
	}
	return r
}

func (f Fleet) oneTenant(user string) error {
	var tenants []*launchpad.Tenant
	for _, t := range f.Tenants {
		if t.UserID == user {
			tenants = append(tenants, t)
		}
	}
	var keys []*launchpad.SubKey
	for _, k := range f.SubKeys {
		if k.UserID == user {
			keys = append(keys, k)
		}
	}
	if len(tenants) != 1 || len(keys) != 1 {
		return fmt.Errorf("%d tenant records and %d sub-key records in the store; want 1 and 1", len(tenants), len(keys))
	}
	t, k := tenants[0], keys[0]
	a := f.app(t.AppName)
	if a == nil {
		return fmt.Errorf("app %s of the store's record is not at Fly", t.AppName)
	}
	live := liveMachines(a)
	var v4, v6 int
	for _, ip := range a.IPs {
		switch {
		case ip.Type == "v4" && !ip.Shared:
			v4++
		case ip.Type == "v6":
			v6++
		}
	}
	if len(a.Volumes) != 1 || len(live) != 1 || v4 != 1 || v6 != 1 || len(a.IPs) != 2 || len(a.Secrets) != 1 {
		return fmt.Errorf("app %s holds %d volumes, %d live machines, %d dedicated IPv4 and %d IPv6 of %d IPs, %d secrets; want 1, 1, 1, 1 of 2, 1",
			a.Name, len(a.Volumes), len(live), v4, v6, len(a.IPs), len(a.Secrets))
	}
	if live[0].ID != t.MachineID || a.Volumes[0].ID != t.VolumeID {
		return fmt.Errorf("app %s runs machine %s with volume %s; the store records machine %s and volume %s", a.Name, live[0].ID, a.Volumes[0].ID, t.MachineID, t.VolumeID)
	}
	key := f.key(k.Hash)
	switch {
	case key == nil:
		return fmt.Errorf("sub-key %s of the store's record is not at OpenRouter", k.Hash)
	case key.Disabled:
		return fmt.Errorf("sub-key %s is disabled at OpenRouter", k.Hash)
	case t.KeySource == launchpad.KeySourceSubKey && t.SubKeyHash != k.Hash:
		return fmt.Errorf("tenant %s uses sub-key %q, not the user's sub-key %s", a.Name, t.SubKeyHash, k.Hash)
	}
	return nil
}

// Isolated checks, over every app at Fly and every tenant record, that no two tenants share
// a network, volume, IP address, key secret or sub-key; that each app is on a network of its
// own (named after it); and that every volume is encrypted and attached to, and mounted by,
// only a machine of its own app. The subjects are the apps.
func (f Fleet) Isolated() Result {
	r := Result{Name: "isolation between tenants"}
	owner := map[string]string{} // "network x", "ip x", "volume x", "secret digest x" → app
	problems := map[string][]string{}
	claim := func(app, what string) {
		if prev, ok := owner[what]; ok && prev != app {
			problems[app] = append(problems[app], fmt.Sprintf("%s is also %s's", what, prev))
			problems[prev] = append(problems[prev], fmt.Sprintf("%s is also %s's", what, app))
			return
		}
		owner[what] = app
	}
	for _, a := range f.Fly.Apps {
		if a.Network != a.Name {
			problems[a.Name] = append(problems[a.Name], fmt.Sprintf("on network %q, not one of its own", a.Network))
		}
		claim(a.Name, "network "+a.Network)
		vols := map[string]bool{}
		machines := map[string]bool{}
		for _, m := range a.Machines {
			machines[m.ID] = true
		}
		for _, v := range a.Volumes {
			vols[v.ID] = true
			claim(a.Name, "volume "+v.ID)
			if !v.Encrypted {
				problems[a.Name] = append(problems[a.Name], "volume "+v.ID+" is not encrypted")
			}
			if v.AttachedMachineID != "" && !machines[v.AttachedMachineID] {
				problems[a.Name] = append(problems[a.Name], "volume "+v.ID+" is attached to machine "+v.AttachedMachineID+" of another app")
			}
		}
		for _, ip := range a.IPs {
			claim(a.Name, "ip "+ip.Address)
			if ip.Type == "shared_v4" || ip.Shared {
				problems[a.Name] = append(problems[a.Name], "IPv4 "+ip.Address+" is shared")
			}
		}
		for _, s := range a.Secrets {
			claim(a.Name, "secret digest "+s.Digest)
		}
		for _, m := range liveMachines(&a) {
			for _, mt := range m.Mounts {
				if !vols[mt.Volume] {
					problems[a.Name] = append(problems[a.Name], "machine "+m.ID+" mounts volume "+mt.Volume+", which is not its app's")
				}
			}
		}
	}
	// One sub-key per tenant record, and no tenant record naming another's app.
	for _, t := range f.Tenants {
		if t.SubKeyHash != "" {
			claim(t.AppName, "sub-key "+t.SubKeyHash)
		}
	}
	subjects := map[string]bool{}
	for _, a := range f.Fly.Apps {
		subjects[a.Name] = true
	}
	for _, t := range f.Tenants {
		subjects[t.AppName] = true
	}
	names := make([]string, 0, len(subjects))
	for n := range subjects {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ps := problems[n]; len(ps) > 0 {
			r.Fail("app %s: %v", n, ps)
		} else {
			r.Pass()
		}
	}
	return r
}

// Empty checks that nothing is left: no app at Fly, no key at OpenRouter, no tenant or
// sub-key record in the store. One subject.
func (f Fleet) Empty() Result {
	r := Result{Name: "nothing left"}
	var left []string
	for _, a := range f.Fly.Apps {
		left = append(left, "app "+a.Name)
	}
	for _, k := range f.OpenRouter.Keys {
		left = append(left, "key "+k.Hash)
	}
	for _, t := range f.Tenants {
		left = append(left, "tenant record "+t.AppName)
	}
	for _, k := range f.SubKeys {
		left = append(left, "sub-key record "+k.Hash)
	}
	if len(left) == 0 {
		r.Pass()
	} else {
		r.Fail("%d left: %v", len(left), left)
	}
	return r
}
