package sim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// flyState is everything the Fly simulator knows; it is what the state file holds. Secret
// values are not in it: the simulator keeps only their digests.
type flyState struct {
	Apps map[string]*flyApp `json:"apps"`
	// Counters that make addresses and ids unique for the simulator's whole life (released
	// addresses are never handed out again, so a stale reference can never hit another
	// tenant's resource).
	NextAppNum     int32            `json:"next_app_num"`
	NextIPv4       uint32           `json:"next_ipv4"`
	NextIPv6       uint64           `json:"next_ipv6"`
	NextPrivateNum uint64           `json:"next_private_num"`
	Networks       map[string]int64 `json:"networks"` // "org/network" → 6PN network number
	// ForeignOrgs are organizations the token is not a member of (CreateForeignApp).
	ForeignOrgs map[string]bool `json:"foreign_orgs,omitempty"`
}

type flyApp struct {
	Name      string    `json:"name"`
	Org       string    `json:"org"`
	Network   string    `json:"network"`
	NumericID int32     `json:"numeric_id"`
	CreatedAt time.Time `json:"created_at"`

	Volumes        map[string]*flyVolume `json:"volumes"`
	IPs            []*flyIP              `json:"ips"`
	Secrets        map[string]*flySecret `json:"secrets"`
	SecretsVersion uint64                `json:"secrets_version"`
	// SecretVersions are the latest versions of the app's secrets (digests only) and when each
	// was made, oldest first: what a machine created or updated since sees.
	SecretVersions []*flySecretsVersion   `json:"secret_versions,omitempty"`
	Machines       map[string]*flyMachine `json:"machines"`
	// Snapshots of the app's volumes, deleted ones' included, by id (fly_volume_snapshots.go).
	Snapshots map[string]*flyVolumeSnapshot `json:"snapshots,omitempty"`
}

// flySecretsVersion is the set of an app's secrets (name → digest) as of one version.
type flySecretsVersion struct {
	Version uint64            `json:"version"`
	Digests map[string]string `json:"digests"`
	At      time.Time         `json:"at"`
}

// keptSecretVersions bounds an app's history of secrets versions.
const keptSecretVersions = 16

type flyVolume struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Region            string    `json:"region"`
	Zone              string    `json:"zone"`
	SizeGB            int       `json:"size_gb"`
	Encrypted         bool      `json:"encrypted"`
	FSType            string    `json:"fstype"`
	SnapshotRetention int       `json:"snapshot_retention"`
	AutoBackup        bool      `json:"auto_backup_enabled"`
	AttachedMachineID string    `json:"attached_machine_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	RestoredFrom      string    `json:"restored_from,omitempty"` // the snapshot it was created from
	// FSSizeGB is the size of the filesystem a machine sees: it catches up with SizeGB when the
	// machine mounting the volume boots (Fly: a volume extended while mounted needs a restart).
	FSSizeGB int `json:"fs_size_gb"`
	// DeletedAt is set once the volume is deleted: it is then listed as pending_destroy until
	// PendingDestroyRetention has passed.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// IP assignment types, as the ip_assignments endpoint takes them.
const (
	ipTypeV4        = "v4"
	ipTypeSharedV4  = "shared_v4"
	ipTypeV6        = "v6"
	ipTypePrivateV6 = "private_v6"
)

type flyIP struct {
	Address     string    `json:"address"`
	Type        string    `json:"type"`
	Region      string    `json:"region"`
	ServiceName string    `json:"service_name,omitempty"`
	Network     string    `json:"network,omitempty"`
	Shared      bool      `json:"shared"`
	CreatedAt   time.Time `json:"created_at"`
}

type flySecret struct {
	Name      string    `json:"name"`
	Digest    string    `json:"digest"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Machine states the simulator uses: resting states, and the transitional ones a machine is
// in while a change completes (see Transitions).
const (
	stateCreated    = "created"
	stateStarting   = "starting"
	stateStarted    = "started"
	stateStopping   = "stopping"
	stateStopped    = "stopped"
	stateReplacing  = "replacing"
	stateDestroying = "destroying"
	stateDestroyed  = "destroyed"
)

// Volume states the simulator reports.
const (
	volumeCreated           = "created"
	volumeSchedulingDestroy = "scheduling_destroy"
	volumePendingDestroy    = "pending_destroy"
)

type flyMachine struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	State      string   `json:"state"`
	Region     string   `json:"region"`
	InstanceID string   `json:"instance_id"`
	Instances  []string `json:"instances"` // every instance_id this machine has had, oldest first
	PrivateIP  string   `json:"private_ip"`
	// Config is the machine config as the client sent it, field by field, so fields the
	// simulator does not interpret are echoed back unchanged; guest and mounts are
	// normalised the way Fly fills them in.
	Config      map[string]json.RawMessage `json:"config"`
	CreatedAt   time.Time                  `json:"created_at"`
	UpdatedAt   time.Time                  `json:"updated_at"`
	DestroyedAt time.Time                  `json:"destroyed_at,omitzero"`
	Events      []*flyEvent                `json:"events"` // oldest first
	Lease       *flyLease                  `json:"lease,omitempty"`
	Execs       []ExecRecord               `json:"execs,omitempty"`
	// Steps are what is left of the change under way, in order; empty when the machine rests.
	Steps []*flyStep `json:"steps,omitempty"`
	// SecretsVersion and Secrets (name → digest) are the app secrets the machine was given
	// when it was last created or updated: a running machine never sees newer values.
	SecretsVersion uint64            `json:"secrets_version"`
	Secrets        map[string]string `json:"secrets,omitempty"`
}

// flyStep is one part of an asynchronous change: at At the machine enters State, and Event
// (if any) is recorded with At as its time.
type flyStep struct {
	At    time.Time `json:"at"`
	State string    `json:"state"`
	Event *flyEvent `json:"event,omitempty"`
}

type flyEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	Source    string          `json:"source"`
	Timestamp int64           `json:"timestamp"` // Unix milliseconds, as Fly sends it
	Request   json.RawMessage `json:"request,omitempty"`
}

type flyLease struct {
	Nonce       string    `json:"nonce"`
	Owner       string    `json:"owner"`
	Description string    `json:"description,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
	Version     string    `json:"version"`
}

// ExecRecord is one command run through the exec endpoint. Its output is not recorded: a
// command may print anything, secrets included.
type ExecRecord struct {
	Cmd      []string  `json:"cmd"`
	ExitCode int       `json:"exit_code"`
	Time     time.Time `json:"time"`
}

func newFlyState() flyState {
	return flyState{Apps: map[string]*flyApp{}, Networks: map[string]int64{}, ForeignOrgs: map[string]bool{}}
}

// normalize fills maps a hand-edited or older state file may lack.
func (s *flyState) normalize() {
	if s.Apps == nil {
		s.Apps = map[string]*flyApp{}
	}
	if s.Networks == nil {
		s.Networks = map[string]int64{}
	}
	if s.ForeignOrgs == nil {
		s.ForeignOrgs = map[string]bool{}
	}
	for _, a := range s.Apps {
		if a.Volumes == nil {
			a.Volumes = map[string]*flyVolume{}
		}
		if a.Secrets == nil {
			a.Secrets = map[string]*flySecret{}
		}
		if a.Machines == nil {
			a.Machines = map[string]*flyMachine{}
		}
		for _, m := range a.Machines {
			if m.Config == nil {
				m.Config = map[string]json.RawMessage{}
			}
		}
		for _, v := range a.Volumes {
			if v.FSSizeGB == 0 {
				v.FSSizeGB = v.SizeGB
			}
		}
	}
}

// sortOldestFirst orders what an app holds as Fly lists it: by creation time, then by id.
func sortOldestFirst[T interface{ createdKey() (time.Time, string) }](xs []T) {
	slices.SortFunc(xs, func(x, y T) int {
		tx, ix := x.createdKey()
		ty, iy := y.createdKey()
		if c := tx.Compare(ty); c != 0 {
			return c
		}
		return strings.Compare(ix, iy)
	})
}

func (m *flyMachine) createdKey() (time.Time, string)        { return m.CreatedAt, m.ID }
func (v *flyVolume) createdKey() (time.Time, string)         { return v.CreatedAt, v.ID }
func (s *flyVolumeSnapshot) createdKey() (time.Time, string) { return s.CreatedAt, s.ID }
