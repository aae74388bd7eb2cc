package tenant

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// Outlook is what a plan can show of a tenant an update leaves: each value as it will be, or
// nil where it is known only once the apply has run.
type Outlook struct {
	Guest        *launchpad.Guest
	VolumeSizeGB *int
	MachineState *launchpad.MachineState
}

// Expect says what an update with drift d leaves of the tenant as found at its last refresh,
// given the wanted plan's record (nil while it is not known). The machine takes the plan's
// size; the volume takes the plan's size when it is made again, and otherwise only ever
// grows. A new machine starts; an updated or re-keyed one stays started or stopped as it was
// (a stopped machine is the control plane's to start), and any other state of it is known
// only after the apply.
func Expect(d Drift, found *Boundary, plan *launchpad.Plan) Outlook {
	guest, size, state := found.Guest, found.VolumeSizeGB, found.Tenant.MachineState
	o := Outlook{Guest: &guest, VolumeSizeGB: &size, MachineState: &state}
	if d.Guest {
		o.Guest = nil
		if plan != nil {
			guest = plan.Guest
			o.Guest = &guest
		}
	}
	if d.VolumeSize {
		switch {
		case plan == nil:
			o.VolumeSizeGB = nil
		case d.Volume:
			size = plan.VolumeSizeGB
		default:
			size = max(size, plan.VolumeSizeGB)
		}
	}
	switch {
	case d.Machine:
		state = launchpad.MachineStarted
	case d.Any() && state != launchpad.MachineStarted && state != launchpad.MachineStopped:
		o.MachineState = nil
	}
	return o
}
