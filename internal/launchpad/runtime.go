package launchpad

import (
	"context"
	"time"
)

// Runtime is where tenants run: the Fly Machines API (internal/fly). Implementations retry
// 429s (honouring Retry-After) and 5xx with backoff, make creation idempotent (after a timeout
// they look before creating again, so a dropped response never leaves a duplicate), acquire
// and release machine leases themselves, and never put a secret value in an error.
//
// Fly completes state changes after answering them: a new machine is created and starts
// afterwards, a destroyed one is destroying for a while and keeps its volume attached until it
// is destroyed. Callers wait (WaitMachine) before relying on the new state.
//
// Errors: ENOTFOUND for a missing app, volume, machine or IP; ECONFLICT for a taken app name
// (taken in this organization, or by an app of an organization the token cannot access: app
// names are global at Fly), a held lease, or a machine or volume not in a state that allows
// the change (412); EINVALID for a request Fly refuses; EUNAUTHORIZED for a bad token;
// ERATELIMITED or EUNAVAILABLE when retries ran out.
type Runtime interface {
	CreateApp(ctx context.Context, s AppSpec) (*App, error)
	GetApp(ctx context.Context, name string) (*App, error)
	ListApps(ctx context.Context, org string) ([]*App, error)
	DeleteApp(ctx context.Context, name string) error

	CreateVolume(ctx context.Context, app string, s VolumeSpec) (*Volume, error)
	GetVolume(ctx context.Context, app, id string) (*Volume, error)
	ListVolumes(ctx context.Context, app string) ([]*Volume, error)
	// ExtendVolume grows a volume; it never shrinks one (EINVALID). The answer's NeedsRestart
	// says that the machine mounting it sees the added space only once it boots again.
	ExtendVolume(ctx context.Context, app, id string, sizeGB int) (*Volume, error)
	DeleteVolume(ctx context.Context, app, id string) error
	// SnapshotVolume takes an on-demand snapshot of a volume, kept by Fly for retentionDays
	// (1-60: the volume's snapshot retention is set to it first), and returns it. Fly keeps a
	// volume's snapshots after the volume is deleted, within its app; a volume created with
	// VolumeSpec.SnapshotID restores one.
	SnapshotVolume(ctx context.Context, app, id string, retentionDays int) (*VolumeSnapshot, error)
	// ListVolumeSnapshots returns the snapshots Fly still keeps of a volume, a deleted one's
	// included, oldest first.
	ListVolumeSnapshots(ctx context.Context, app, volumeID string) ([]*VolumeSnapshot, error)

	AllocateIP(ctx context.Context, app string, s IPSpec) (*IPAddress, error)
	ListIPs(ctx context.Context, app string) ([]*IPAddress, error)
	ReleaseIP(ctx context.Context, app, address string) error

	// SetSecret sets one app secret and returns its name, digest and the app's secrets
	// version that holds it. The value goes only to Fly. Machines see it only once created or
	// updated with MachineSpec.MinSecretsVersion at least that version.
	SetSecret(ctx context.Context, app, name, value string) (*Secret, error)
	// ListSecrets returns names and digests, never values.
	ListSecrets(ctx context.Context, app string) ([]*Secret, error)
	DeleteSecret(ctx context.Context, app, name string) error

	CreateMachine(ctx context.Context, app string, s MachineSpec) (*Machine, error)
	GetMachine(ctx context.Context, app, id string) (*Machine, error)
	ListMachines(ctx context.Context, app string) ([]*Machine, error)
	// UpdateMachine replaces the machine's config (under a lease).
	UpdateMachine(ctx context.Context, app, id string, s MachineSpec) (*Machine, error)
	StartMachine(ctx context.Context, app, id string) error
	StopMachine(ctx context.Context, app, id string) error
	// DestroyMachine destroys a machine; kill stops a running one first.
	DestroyMachine(ctx context.Context, app, id string, kill bool) error
	// WaitMachine waits until the machine reaches state or timeout passes (EUNAVAILABLE).
	WaitMachine(ctx context.Context, app, id string, state MachineState, timeout time.Duration) error
	// MachineEvents returns the machine's events (start, stop, exit…), oldest first.
	MachineEvents(ctx context.Context, app, id string) ([]*MachineEvent, error)
	// Exec runs a command in the machine (operator shell access; audit first).
	Exec(ctx context.Context, app, id string, cmd []string, timeout time.Duration) (*ExecResult, error)
}

// AppSpec asks for an app on its own private network.
type AppSpec struct {
	Name    string
	Org     string
	Network string
}

// App is a Fly app.
type App struct {
	Name    string
	Org     string
	Network string
	Status  string
}

// VolumeSpec asks for a volume. Encrypted is always true for tenants. SnapshotID, when set,
// restores one of the app's volume snapshots into the new volume; SizeGB 0 then means the
// snapshot's size.
type VolumeSpec struct {
	Name       string
	Region     string
	SizeGB     int
	Encrypted  bool
	SnapshotID string
}

// VolumeSnapshot is a snapshot of a volume, kept until CreatedAt + RetentionDays.
type VolumeSnapshot struct {
	ID            string
	VolumeID      string
	SizeGB        int // of the volume it was taken of
	RetentionDays int
	CreatedAt     time.Time
}

// Volume is a Fly volume.
type Volume struct {
	ID                string
	Name              string
	Region            string
	SizeGB            int
	Encrypted         bool
	State             VolumeState
	AttachedMachineID string
	// NeedsRestart is set by ExtendVolume when the volume is mounted by a running machine,
	// which sees the added space only once it boots again (a restart, or an update).
	NeedsRestart bool
}

// IP address types.
const (
	IPv4 = "v4"
	IPv6 = "v6"
)

// IPSpec asks for an address: Type IPv4 or IPv6; Shared only for v4 (tenants never share).
type IPSpec struct {
	Type   string
	Shared bool
	Region string
}

// IPAddress is an IP assigned to an app.
type IPAddress struct {
	Address string
	Type    string
	Shared  bool
	Region  string
}

// Secret is an app secret's name and digest; Version, set by SetSecret, is the app's secrets
// version that holds the value just set.
type Secret struct {
	Name    string
	Digest  string
	Version uint64
}

// MachineSpec is the config of a tenant machine.
type MachineSpec struct {
	Name     string
	Region   string
	Image    string
	Guest    Guest
	Env      map[string]string // never a secret: secrets travel as app secrets
	Mounts   []Mount
	Metadata map[string]string
	// MinSecretsVersion, when not 0, makes the create or update wait until that version of
	// the app's secrets has reached Fly's hosts and gives the machine at least that version:
	// a machine sees a new secret only through such a create or update.
	MinSecretsVersion uint64
	// Checks are the machine's health checks by name; Fly runs them and reports each one's
	// status with the machine (Machine.CheckStatuses).
	Checks map[string]MachineCheck
}

// The agent's health check on every tenant machine: a TCP connection to the port it serves.
const (
	AgentCheckName = "agent"
	AgentPort      = 8080
)

// MachineCheck is one health check Fly runs against a machine.
type MachineCheck struct {
	Type        string // tcp or http
	Port        int
	Path        string // http only
	Interval    time.Duration
	Timeout     time.Duration
	GracePeriod time.Duration // after a start, before failures count
}

// Check statuses as Fly reports them.
const (
	CheckPassing  = "passing"
	CheckWarning  = "warning"
	CheckCritical = "critical"
)

// CheckStatus is what Fly last saw of one of a machine's checks.
type CheckStatus struct {
	Name   string
	Status string // CheckPassing, CheckWarning or CheckCritical
	Output string
}

// Healthy reports whether m is started and every one of its checks passes.
func (m *Machine) Healthy() bool {
	if m.State != MachineStarted {
		return false
	}
	for _, c := range m.CheckStatuses {
		if c.Status != CheckPassing {
			return false
		}
	}
	return len(m.CheckStatuses) >= len(m.Checks)
}

// Mount attaches a volume.
type Mount struct {
	VolumeID string
	Path     string
}

// Machine is a Fly machine.
type Machine struct {
	ID         string
	Name       string
	State      MachineState
	Region     string
	Image      string
	InstanceID string
	Guest      Guest
	Env        map[string]string
	Mounts     []Mount
	Metadata   map[string]string
	// Checks are the configured health checks; CheckStatuses what Fly last saw of each.
	Checks        map[string]MachineCheck
	CheckStatuses []CheckStatus
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MachineEvent is a machine lifecycle event.
type MachineEvent struct {
	Type   string // start, stop, exit, launch, update, destroy…
	Status string
	Source string // user, flyd
	Time   time.Time
}

// ExecResult is what a command printed and returned.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}
