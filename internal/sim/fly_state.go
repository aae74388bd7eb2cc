package sim

import (
	"encoding/json"
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
}

type flyApp struct {
	Name      string    `json:"name"`
	Org       string    `json:"org"`
	Network   string    `json:"network"`
	NumericID int32     `json:"numeric_id"`
	CreatedAt time.Time `json:"created_at"`

	Volumes        map[string]*flyVolume  `json:"volumes"`
	IPs            []*flyIP               `json:"ips"`
	Secrets        map[string]*flySecret  `json:"secrets"`
	SecretsVersion uint64                 `json:"secrets_version"`
	Machines       map[string]*flyMachine `json:"machines"`
	// Snapshots of the app's volumes, deleted ones' included, by id (fly_volume_snapshots.go).
	Snapshots map[string]*flyVolumeSnapshot `json:"snapshots,omitempty"`
}

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

// Machine states the simulator uses.
const (
	stateCreated   = "created"
	stateStarted   = "started"
	stateStopped   = "stopped"
	stateDestroyed = "destroyed"
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
	return flyState{Apps: map[string]*flyApp{}, Networks: map[string]int64{}}
}

// normalize fills maps a hand-edited or older state file may lack.
func (s *flyState) normalize() {
	if s.Apps == nil {
		s.Apps = map[string]*flyApp{}
	}
	if s.Networks == nil {
		s.Networks = map[string]int64{}
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
	}
}
