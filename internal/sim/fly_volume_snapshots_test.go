package sim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// Volume snapshots through flaps: an on-demand snapshot is kept for the volume's retention,
// outlives the volume within its app (Fly documents restoring a deleted volume from its
// snapshots), restores into a new volume in its region, expires on the clock, and goes with
// its app.
func TestFlyVolumeSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c, clock := flapsOnSim(t, sim.FlyOptions{})
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-ada-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	size, encrypted, retention := 3, true, 7
	vol, err := c.CreateVolume(ctx, "lp-hermes-ada-1", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SizeGb: &size, Encrypted: &encrypted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateVolume(ctx, "lp-hermes-ada-1", vol.ID, fly.UpdateVolumeRequest{SnapshotRetention: &retention}); err != nil {
		t.Fatal(err)
	}
	if snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID); err != nil || len(snaps) != 0 {
		t.Fatalf("snapshots of a new volume: %v, %v; want none (no daily snapshots are taken)", snaps, err)
	}
	if err := c.CreateVolumeSnapshot(ctx, "lp-hermes-ada-1", vol.ID); err != nil {
		t.Fatalf("create snapshot: %v", err)
	}
	snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID)
	if err != nil || len(snaps) != 1 || snaps[0].ID == "" || snaps[0].Status != "created" || snaps[0].VolumeSize != 3 ||
		snaps[0].RetentionDays == nil || *snaps[0].RetentionDays != 7 || !snaps[0].CreatedAt.Equal(t0) {
		t.Fatalf("snapshots after one was taken: %+v, %v", snaps, err)
	}
	snapID := snaps[0].ID

	// The volume goes; its snapshot stays, listed under the deleted volume's id.
	if _, err := c.DeleteVolume(ctx, "lp-hermes-ada-1", vol.ID); err != nil {
		t.Fatal(err)
	}
	if snaps, err := c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID); err != nil || len(snaps) != 1 || snaps[0].ID != snapID {
		t.Fatalf("snapshots of the deleted volume: %+v, %v", snaps, err)
	}

	// Restores: not in another region, not smaller, not from another app's snapshot.
	restore := func(region string, size *int) (*fly.Volume, error) {
		return c.CreateVolume(ctx, "lp-hermes-ada-1", fly.CreateVolumeRequest{Name: "workspace", Region: region, SizeGb: size, SnapshotID: &snapID})
	}
	_, err = restore("ams", nil)
	wantFlapsError(t, "restore in another region", err, http.StatusBadRequest, "region iad")
	small := 1
	_, err = restore("iad", &small)
	wantFlapsError(t, "restore into a smaller volume", err, http.StatusBadRequest, "smaller")
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-bob-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateVolume(ctx, "lp-hermes-bob-1", fly.CreateVolumeRequest{Name: "workspace", Region: "iad", SnapshotID: &snapID})
	wantFlapsError(t, "restore another app's snapshot", err, http.StatusNotFound, "not found")

	restored, err := restore("iad", nil)
	if err != nil || restored.SizeGb != 3 || restored.ID == vol.ID {
		t.Fatalf("restore: %+v, %v; want a new 3 GB volume", restored, err)
	}
	app := srv.Sim.Snapshot().Apps[0]
	if live := app.LiveVolumes(); len(live) != 1 || live[0].RestoredFrom != snapID || len(app.VolumeBackups) != 1 {
		t.Fatalf("after the restore: volumes %+v, backups %+v", app.Volumes, app.VolumeBackups)
	}

	// Seven days on, the snapshot is gone.
	clock.Advance(7*24*time.Hour + time.Second)
	_, err = c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", vol.ID)
	wantFlapsError(t, "snapshots of a deleted volume after the retention", err, http.StatusNotFound, "volume not found")
	_, err = restore("iad", nil)
	wantFlapsError(t, "restore an expired snapshot", err, http.StatusNotFound, "not found")

	// And an app's snapshots go with the app.
	if err := c.CreateVolumeSnapshot(ctx, "lp-hermes-ada-1", restored.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteApp(ctx, "lp-hermes-ada-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApp(ctx, flaps.CreateAppRequest{Name: "lp-hermes-ada-1", Org: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetVolumeSnapshots(ctx, "lp-hermes-ada-1", restored.ID)
	wantFlapsError(t, "snapshots after the app was deleted", err, http.StatusNotFound, "volume not found")
}
