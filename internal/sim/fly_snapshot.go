package sim

import (
	"maps"
	"slices"
	"time"
)

// FlySnapshot is everything the Fly simulator holds, for tests: isolation invariants
// ("no two tenants share a volume, address or network"), "nothing left behind" after a
// destroy, and metering from machine events. It never holds a secret value or a lease nonce.
type FlySnapshot struct {
	Apps   []FlyAppSnapshot `json:"apps"` // by name
	Faults FaultStats       `json:"faults"`
}

// FlyAppSnapshot is one app and everything in it.
type FlyAppSnapshot struct {
	Name      string           `json:"name"`
	Org       string           `json:"org"`
	Network   string           `json:"network"`
	Status    string           `json:"status"`
	CreatedAt time.Time        `json:"created_at"`
	Volumes   []VolumeSnapshot `json:"volumes"`
	IPs       []IPSnapshot     `json:"ips"`
	Secrets   []SecretSnapshot `json:"secrets"`
	// SecretsVersion is the app's current secrets version.
	SecretsVersion uint64            `json:"secrets_version"`
	Machines       []MachineSnapshot `json:"machines"` // destroyed ones too, while their tombstone lasts
	// VolumeBackups are the snapshots of the app's volumes still kept, deleted volumes'
	// included, oldest first.
	VolumeBackups []VolumeBackupSnapshot `json:"volume_backups"`
}

// VolumeBackupSnapshot is a snapshot of a volume (Fly's volume snapshot; "backup" here only
// to tell it from a snapshot of the simulator's state).
type VolumeBackupSnapshot struct {
	ID            string    `json:"id"`
	VolumeID      string    `json:"volume_id"`
	Region        string    `json:"region"`
	SizeGB        int       `json:"size_gb"`
	RetentionDays int       `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
}

// LiveVolumes are the app's volumes that are not deleted.
func (a FlyAppSnapshot) LiveVolumes() []VolumeSnapshot {
	var out []VolumeSnapshot
	for _, v := range a.Volumes {
		if v.Live() {
			out = append(out, v)
		}
	}
	return out
}

// VolumeSnapshot is a volume; AttachedMachineID is empty when detached. A deleted volume is
// listed with State pending_destroy until its retention has passed (Live says which).
type VolumeSnapshot struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Region string `json:"region"`
	SizeGB int    `json:"size_gb"`
	// FilesystemSizeGB is the size the mounting machine sees: below SizeGB after an extend
	// until that machine boots again.
	FilesystemSizeGB  int       `json:"filesystem_size_gb"`
	Encrypted         bool      `json:"encrypted"`
	AttachedMachineID string    `json:"attached_machine_id"`
	CreatedAt         time.Time `json:"created_at"`
	RestoredFrom      string    `json:"restored_from,omitempty"` // the volume snapshot it was created from
}

// Live reports whether the volume is not deleted.
func (v VolumeSnapshot) Live() bool { return v.State != volumePendingDestroy }

// IPSnapshot is an IP assignment. Type is v4, shared_v4, v6 or private_v6.
type IPSnapshot struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Shared  bool   `json:"shared"`
	Region  string `json:"region"`
	Network string `json:"network,omitempty"`
}

// SecretSnapshot is an app secret's name and digest (SecretDigest of its value).
type SecretSnapshot struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// MachineSnapshot is a machine.
type MachineSnapshot struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	State      string            `json:"state"`
	Region     string            `json:"region"`
	Image      string            `json:"image"`
	InstanceID string            `json:"instance_id"`
	PrivateIP  string            `json:"private_ip"`
	Guest      GuestSnapshot     `json:"guest"`
	Env        map[string]string `json:"env"`
	Metadata   map[string]string `json:"metadata"`
	Mounts     []MountSnapshot   `json:"mounts"`
	Events     []EventSnapshot   `json:"events"` // oldest first
	Execs      []ExecRecord      `json:"execs"`
	// LeaseExpiresAt is the expiry of the lease held on the machine, zero when none.
	LeaseExpiresAt time.Time `json:"lease_expires_at,omitzero"`
	// SecretsVersion and Secrets (name → digest) are the app secrets the machine runs with:
	// those of the version it was given at its last create or update.
	SecretsVersion uint64            `json:"secrets_version"`
	Secrets        map[string]string `json:"secrets"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// GuestSnapshot is a machine's size.
type GuestSnapshot struct {
	CPUKind  string `json:"cpu_kind"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
}

// MountSnapshot is a mounted volume.
type MountSnapshot struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
}

// EventSnapshot is a machine event; Time has millisecond precision, as on the wire.
type EventSnapshot struct {
	Type   string    `json:"type"`
	Status string    `json:"status"`
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
}

// Snapshot returns a deep copy of the simulator's state.
func (f *Fly) Snapshot() FlySnapshot {
	_, stats := f.faults.current()
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	out := FlySnapshot{Apps: []FlyAppSnapshot{}, Faults: stats}
	for _, name := range slices.Sorted(maps.Keys(f.st.Apps)) {
		a := f.st.Apps[name]
		f.settleAppLocked(a, now)
		as := FlyAppSnapshot{
			Name: a.Name, Org: a.Org, Network: a.Network, Status: a.status(), CreatedAt: a.CreatedAt, SecretsVersion: a.SecretsVersion,
			Volumes: []VolumeSnapshot{}, IPs: []IPSnapshot{}, Secrets: []SecretSnapshot{}, Machines: []MachineSnapshot{},
		}
		for _, id := range slices.Sorted(maps.Keys(a.Volumes)) {
			v := a.Volumes[id]
			as.Volumes = append(as.Volumes, VolumeSnapshot{ID: v.ID, Name: v.Name, State: v.state(), Region: v.Region, SizeGB: v.SizeGB, FilesystemSizeGB: v.FSSizeGB,
				Encrypted: v.Encrypted, AttachedMachineID: v.AttachedMachineID, CreatedAt: v.CreatedAt, RestoredFrom: v.RestoredFrom})
		}
		as.VolumeBackups = []VolumeBackupSnapshot{}
		for _, b := range f.liveSnapshotsLocked(a, "") {
			as.VolumeBackups = append(as.VolumeBackups, VolumeBackupSnapshot{ID: b.ID, VolumeID: b.VolumeID, Region: b.Region, SizeGB: b.VolumeSizeGB, RetentionDays: b.RetentionDays, CreatedAt: b.CreatedAt})
		}
		for _, ip := range a.IPs {
			as.IPs = append(as.IPs, IPSnapshot{Address: ip.Address, Type: ip.Type, Shared: ip.Shared, Region: ip.Region, Network: ip.Network})
		}
		for _, n := range slices.Sorted(maps.Keys(a.Secrets)) {
			as.Secrets = append(as.Secrets, SecretSnapshot{Name: n, Digest: a.Secrets[n].Digest})
		}
		ms := slices.Collect(maps.Values(a.Machines))
		sortOldestFirst(ms)
		for _, m := range ms {
			if !f.goneLocked(m, now) {
				as.Machines = append(as.Machines, m.snapshot(f.activeLeaseLocked(m)))
			}
		}
		out.Apps = append(out.Apps, as)
	}
	return out
}

func (m *flyMachine) snapshot(lease *flyLease) MachineSnapshot {
	c := viewConfig(m.Config)
	s := MachineSnapshot{
		ID: m.ID, Name: m.Name, State: m.State, Region: m.Region, Image: c.image,
		InstanceID: m.InstanceID, PrivateIP: m.PrivateIP,
		Guest:     GuestSnapshot{CPUKind: c.guest.CPUKind, CPUs: c.guest.CPUs, MemoryMB: c.guest.MemoryMB},
		Env:       maps.Clone(c.env),
		Metadata:  maps.Clone(c.metadata),
		Mounts:    []MountSnapshot{},
		Events:    []EventSnapshot{},
		Execs:     []ExecRecord{},
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		SecretsVersion: m.SecretsVersion, Secrets: maps.Clone(m.Secrets),
	}
	if s.Secrets == nil {
		s.Secrets = map[string]string{}
	}
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	if s.Metadata == nil {
		s.Metadata = map[string]string{}
	}
	for _, mnt := range c.mounts {
		s.Mounts = append(s.Mounts, MountSnapshot(mnt))
	}
	for _, e := range m.Events {
		s.Events = append(s.Events, EventSnapshot{Type: e.Type, Status: e.Status, Source: e.Source, Time: time.UnixMilli(e.Timestamp).UTC()})
	}
	for _, x := range m.Execs {
		s.Execs = append(s.Execs, ExecRecord{Cmd: slices.Clone(x.Cmd), ExitCode: x.ExitCode, Time: x.Time})
	}
	if lease != nil {
		s.LeaseExpiresAt = lease.ExpiresAt
	}
	return s
}

// Machine returns one machine's snapshot by id, wherever it lives.
func (s FlySnapshot) Machine(id string) (MachineSnapshot, bool) {
	for _, a := range s.Apps {
		for _, m := range a.Machines {
			if m.ID == id {
				return m, true
			}
		}
	}
	return MachineSnapshot{}, false
}

// App returns one app's snapshot by name.
func (s FlySnapshot) App(name string) (FlyAppSnapshot, bool) {
	for _, a := range s.Apps {
		if a.Name == name {
			return a, true
		}
	}
	return FlyAppSnapshot{}, false
}
