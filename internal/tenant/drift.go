package tenant

import (
	"context"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Settings are what a configuration sets on an existing tenant: the values a plan compares
// with the ones the tenant was last applied with.
type Settings struct {
	Plan              string
	Image             string
	SubKeyHash        string
	BYOKKeyVersion    *int64 // nil: none set
	RebuildGeneration int64
	ResetGeneration   int64
}

// Wanted is what the configuration asks of a tenant now.
type Wanted struct {
	Settings
	// Pending names the settings that are not known until apply, because they depend on a
	// resource that changes in the same run (a sub-key being rotated, say): each counts as
	// changed.
	Pending Pending
}

// Pending marks settings of Wanted as not known until apply.
type Pending struct {
	Plan, Image, SubKeyHash, BYOKKeyVersion, RebuildGeneration, ResetGeneration bool
}

// Drift says which parts of a tenant an update must touch.
type Drift struct {
	Machine, Guest, Volume, VolumeSize, IPv4, IPv6, Secret bool
}

// Any reports whether the update touches anything at all.
func (d Drift) Any() bool {
	return d.Machine || d.Guest || d.Volume || d.VolumeSize || d.IPv4 || d.IPv6 || d.Secret
}

// Compare decides what an update must touch, from what the last refresh found at Fly, the
// settings the tenant was last applied with, the ones wanted now, and the wanted plan's record
// (nil when the plan does not exist yet, e.g. it is created in the same run). A missing part
// is made again; a missing volume means a new machine to mount it; a new rebuild generation
// means a new machine; a new reset generation a new volume and machine; a new image or plan resizes or updates the machine; a new plan may
// extend the volume; a new sub-key or BYOK key, or a lost secret, means delivering the key.
func Compare(found *Boundary, applied Settings, want Wanted, plan *launchpad.Plan) Drift {
	t := found.Tenant
	var d Drift
	d.Volume = t.VolumeID == "" || want.Pending.ResetGeneration || want.ResetGeneration != applied.ResetGeneration
	d.Machine = d.Volume || t.MachineID == "" || want.Pending.RebuildGeneration || want.RebuildGeneration != applied.RebuildGeneration
	d.IPv4 = t.IPv4 == ""
	d.IPv6 = t.IPv6 == ""
	d.Secret = t.SecretDigest == "" || want.Pending.SubKeyHash || want.SubKeyHash != applied.SubKeyHash ||
		want.Pending.BYOKKeyVersion || !sameVersion(want.BYOKKeyVersion, applied.BYOKKeyVersion)
	planChanged := want.Pending.Plan || want.Plan != applied.Plan
	d.Guest = d.Machine || want.Pending.Image || want.Image != applied.Image || planChanged
	d.VolumeSize = d.Volume || planChanged
	if plan != nil {
		d.Guest = d.Guest || plan.Guest != found.Guest
		d.VolumeSize = d.VolumeSize || plan.VolumeSizeGB > found.VolumeSizeGB
	}
	return d
}

func sameVersion(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Drift is Compare plus the one question that needs the store: whether the model key's
// source would move (a BYOK key stored, a sub-key revoked or gone). A key that can no longer
// be resolved counts as moved, so the apply reports why. Needs the store when plan is not nil.
func (s *Service) Drift(ctx context.Context, found *Boundary, applied Settings, want Wanted, plan *launchpad.Plan) Drift {
	d := Compare(found, applied, want, plan)
	t := found.Tenant
	if !d.Secret && plan != nil && t.KeySource != "" && !want.Pending.SubKeyHash {
		source, err := s.KeySource(ctx, t.UserID, want.SubKeyHash, plan)
		d.Secret = err != nil || source != t.KeySource
	}
	return d
}
