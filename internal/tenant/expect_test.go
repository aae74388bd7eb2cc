package tenant_test

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

// What a plan shows of the machine's size, the volume's size and the machine's state, for
// each kind of update.
func TestExpectShowsTheSizesAndStateAnUpdateLeaves(t *testing.T) {
	small := launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}
	large := launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 4096}
	plan := func(volumeGB int) *launchpad.Plan { return &launchpad.Plan{Guest: large, VolumeSizeGB: volumeGB} }
	started, stopped, replacing := launchpad.MachineStarted, launchpad.MachineStopped, launchpad.MachineState("replacing")
	cases := []struct {
		name   string
		drift  tenant.Drift
		state  launchpad.MachineState
		plan   *launchpad.Plan
		guest  *launchpad.Guest
		volume *int // nil: unknown
		after  *launchpad.MachineState
	}{
		{name: "nothing changes", state: stopped, plan: plan(5), guest: &small, volume: ptr(10), after: &stopped},
		{name: "a new plan resizes", drift: tenant.Drift{Guest: true, VolumeSize: true}, state: started, plan: plan(20),
			guest: &large, volume: ptr(20), after: &started},
		{name: "the volume never shrinks", drift: tenant.Drift{VolumeSize: true}, state: stopped, plan: plan(5),
			guest: &small, volume: ptr(10), after: &stopped},
		{name: "a new volume has the plan's size", drift: tenant.Drift{Volume: true, VolumeSize: true, Machine: true, Guest: true},
			state: stopped, plan: plan(5), guest: &large, volume: ptr(5), after: &started},
		{name: "a plan not known yet", drift: tenant.Drift{Guest: true, VolumeSize: true}, state: started,
			guest: nil, volume: nil, after: &started},
		{name: "a machine in another state", drift: tenant.Drift{Secret: true}, state: replacing, plan: plan(5),
			guest: &small, volume: ptr(10), after: nil},
		{name: "a machine in another state, untouched", state: replacing, plan: plan(5), guest: &small, volume: ptr(10), after: &replacing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			found := &tenant.Boundary{Tenant: &launchpad.Tenant{MachineState: c.state}, Guest: small, VolumeSizeGB: 10}
			o := tenant.Expect(c.drift, found, c.plan)
			if !same(o.Guest, c.guest) || !same(o.VolumeSizeGB, c.volume) || !same(o.MachineState, c.after) {
				t.Errorf("Expect = guest %v, volume %v, state %v; want %v, %v, %v",
					show(o.Guest), show(o.VolumeSizeGB), show(o.MachineState), show(c.guest), show(c.volume), show(c.after))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func same[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show[T any](v *T) any {
	if v == nil {
		return "unknown"
	}
	return *v
}
