package fly

import (
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A snapshot is taken under the asked retention, returned although Fly's answer names none,
// outlives its volume, and restores into a new volume.
func TestSnapshotVolumeAndRestore(t *testing.T) {
	ctx := context.Background()
	s, c := appOnSim(t)
	v, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 2, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.SnapshotVolume(ctx, "lp-a-u-1", v.ID, 9)
	if err != nil {
		t.Fatalf("SnapshotVolume: %v", err)
	}
	if snap.ID == "" || snap.VolumeID != v.ID || snap.SizeGB != 2 || snap.RetentionDays != 9 || snap.CreatedAt.IsZero() {
		t.Fatalf("snapshot = %+v", snap)
	}
	if err := c.DeleteVolume(ctx, "lp-a-u-1", v.ID); err != nil {
		t.Fatal(err)
	}
	restored, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 2, Encrypted: true, SnapshotID: snap.ID})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if vols := app(t, s, "lp-a-u-1").LiveVolumes(); len(vols) != 1 || vols[0].ID != restored.ID || vols[0].RestoredFrom != snap.ID {
		t.Fatalf("volumes after the restore: %+v", vols)
	}
	if _, err := c.SnapshotVolume(ctx, "lp-a-u-1", restored.ID, 61); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Fatalf("a 61-day retention: %v, want EINVALID", err)
	}
}

// A snapshot whose create answer is lost is found, not taken twice.
func TestSnapshotVolumeAfterAmbiguousFailureMakesNoDuplicate(t *testing.T) {
	for name, flt := range ambiguousFaults {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, c := appOnSim(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
			v, err := c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "workspace", Region: "ams", SizeGB: 1, Encrypted: true})
			if err != nil {
				t.Fatal(err)
			}
			s.Sim.ScriptFaults("POST /v1/apps/{app}/volumes/{id}/snapshots", flt)
			snap, err := c.SnapshotVolume(ctx, "lp-a-u-1", v.ID, 5)
			if err != nil {
				t.Fatalf("SnapshotVolume: %v", err)
			}
			if b := app(t, s, "lp-a-u-1").VolumeBackups; len(b) != 1 || b[0].ID != snap.ID {
				t.Fatalf("snapshots = %+v, want exactly the returned one", b)
			}
		})
	}
}
