package launchpad

// MachineState is a Fly machine's state, as the Machines API reports it.
type MachineState string

// Machine states (Fly's names). A machine moves created → starting → started ⇄ stopping →
// stopped (or suspended), and destroying → destroyed at the end; replacing and updating are
// in-place changes.
const (
	MachineCreated    MachineState = "created"
	MachineStarting   MachineState = "starting"
	MachineStarted    MachineState = "started"
	MachineStopping   MachineState = "stopping"
	MachineStopped    MachineState = "stopped"
	MachineSuspending MachineState = "suspending"
	MachineSuspended  MachineState = "suspended"
	MachineReplacing  MachineState = "replacing"
	MachineUpdating   MachineState = "updating"
	MachineLaunching  MachineState = "launching"
	MachineDestroying MachineState = "destroying"
	MachineDestroyed  MachineState = "destroyed"
)

// Gone reports whether a machine in this state no longer counts as the tenant's machine: it
// is being destroyed or is destroyed, so a new one must be made.
func (s MachineState) Gone() bool { return s == MachineDestroying || s == MachineDestroyed }

// Down reports whether a machine in this state is not running and not on its way to running.
func (s MachineState) Down() bool { return s == MachineStopped || s == MachineSuspended }

// VolumeState is a Fly volume's state, as the Machines API reports it.
type VolumeState string

// Volume states (Fly's names) that decide what Launchpad does; others (created, hydrating,
// restoring…) are live volumes.
const (
	VolumeCreated           VolumeState = "created"
	VolumeSchedulingDestroy VolumeState = "scheduling_destroy"
	VolumeForkCleanup       VolumeState = "fork_cleanup"
	VolumeWaitingForDetach  VolumeState = "waiting_for_detach"
	VolumePendingDestroy    VolumeState = "pending_destroy"
	VolumeDestroying        VolumeState = "destroying"
	VolumeDestroyed         VolumeState = "destroyed"
)

// Gone reports whether a volume in this state is on its way out (or out): it holds no
// workspace the tenant can use, and a new one must be made. Fly lists a deleted volume as
// pending_destroy for a while, and flaps.GetVolumes itself leaves these states out.
func (s VolumeState) Gone() bool {
	switch s {
	case VolumeSchedulingDestroy, VolumeForkCleanup, VolumeWaitingForDetach, VolumePendingDestroy, VolumeDestroying, VolumeDestroyed:
		return true
	}
	return false
}
