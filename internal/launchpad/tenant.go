package launchpad

import "time"

// Tenant is one isolated boundary: one Fly app on its own private network, with its own IPs,
// one encrypted volume mounted at /workspace, one machine, and one model key delivered as an
// app secret. Nothing in it is shared with another tenant.
type Tenant struct {
	AppName string // lp-{product}-{uid8}-{ts}; the id
	UserID  string
	Product string
	Region  string
	Plan    string
	Image   string

	Network   string // always AppName: no .internal route reaches another tenant
	MachineID string
	VolumeID  string
	IPv4      string // dedicated
	IPv6      string

	KeySource    KeySource
	SubKeyHash   string
	SecretDigest string // Fly's digest of the key secret; never the key

	RebuildGeneration int64
	// ResetGeneration counts the resets applied: each gave the tenant a new empty volume
	// (the old one kept as a snapshot) and a new machine.
	ResetGeneration int64
	MachineState    MachineState

	CreatedAt time.Time
	UpdatedAt time.Time
}

// TenantFilter selects tenants; zero fields match everything.
type TenantFilter struct {
	UserID string
}

// WorkspaceMount is where every tenant's volume is mounted; OAuth tokens for model vendors
// live only under it (/workspace/.hermes/), never in the control plane.
const WorkspaceMount = "/workspace"

// KeySecretName is the Fly app secret that carries the tenant's resolved model key.
const KeySecretName = "OPENROUTER_API_KEY"
