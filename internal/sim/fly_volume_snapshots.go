package sim

import (
	"maps"
	"net/http"
	"time"
)

// Volume snapshots: GET and POST /v1/apps/{app}/volumes/{id}/snapshots (the spec's
// Volumes_list_snapshots and createVolumeSnapshot, what flaps' GetVolumeSnapshots and
// CreateVolumeSnapshot send), and volumes restored from one (CreateVolumeRequest.snapshot_id,
// "restore from snapshot").
//
// What the simulator takes from Fly's documentation (fly.io/docs/volumes/snapshots):
//   - a snapshot is kept for the volume's snapshot_retention days (1-60, default 5) as it was
//     when the snapshot was taken; changing the retention affects later snapshots only;
//   - "you can use a volume snapshot to restore the data into a new volume", also the data of
//     a deleted volume: a volume's snapshots outlive it, within its app;
//   - they are reached only through their app (every path is under /v1/apps/{app}): deleting
//     the app takes them with it here. Fly does not document keeping them after the app is
//     deleted, so the simulator does not.
//
// Where the sources are silent the simulator is strict: a restore must be in the snapshot's
// region and at least its size; the create answers 200 with no body (the spec shows none), so
// a client finds its snapshot by listing; daily automatic snapshots are not taken.

// flyVolumeSnapshot is one snapshot of a volume.
type flyVolumeSnapshot struct {
	ID            string    `json:"id"`
	VolumeID      string    `json:"volume_id"`
	Region        string    `json:"region"`
	VolumeSizeGB  int       `json:"volume_size_gb"`
	RetentionDays int       `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
}

// expired reports whether the snapshot's retention has passed at now.
func (s *flyVolumeSnapshot) expired(now time.Time) bool {
	return !now.Before(s.CreatedAt.Add(time.Duration(s.RetentionDays) * 24 * time.Hour))
}

// volumeSnapshotJSON is a snapshot as the API answers it (the spec's VolumeSnapshot plus what
// flaps decodes: volume_size, retention_days).
type volumeSnapshotJSON struct {
	ID            string `json:"id"`
	Size          int64  `json:"size"`
	VolumeSize    int    `json:"volume_size"`
	Digest        string `json:"digest"`
	CreatedAt     string `json:"created_at"`
	Status        string `json:"status"`
	RetentionDays int    `json:"retention_days"`
}

func (s *flyVolumeSnapshot) json() volumeSnapshotJSON {
	return volumeSnapshotJSON{
		ID: s.ID, Size: int64(s.VolumeSizeGB) << 30, VolumeSize: s.VolumeSizeGB, Digest: SecretDigest(s.ID),
		CreatedAt: rfc3339(s.CreatedAt), Status: "created", RetentionDays: s.RetentionDays,
	}
}

// liveSnapshotsLocked drops the app's expired snapshots and returns those of volumeID ("" for
// every volume), oldest first.
func (f *Fly) liveSnapshotsLocked(a *flyApp, volumeID string) []*flyVolumeSnapshot {
	now := f.clock.Now()
	maps.DeleteFunc(a.Snapshots, func(_ string, s *flyVolumeSnapshot) bool { return s.expired(now) })
	var out []*flyVolumeSnapshot
	for _, s := range a.Snapshots {
		if volumeID == "" || s.VolumeID == volumeID {
			out = append(out, s)
		}
	}
	sortOldestFirst(out)
	return out
}

// listVolumeSnapshots: GET /v1/apps/{app}/volumes/{id}/snapshots → [snapshot…], oldest first.
// A deleted volume's snapshots are listed while they are kept; a volume the app never had (or
// whose snapshots are all gone) is 404.
func (f *Fly) listVolumeSnapshots(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		id := r.PathValue("id")
		snaps := f.liveSnapshotsLocked(a, id)
		if _, ok := a.Volumes[id]; !ok && len(snaps) == 0 {
			writeFlyError(w, http.StatusNotFound, "volume not found")
			return
		}
		out := make([]volumeSnapshotJSON, 0, len(snaps))
		for _, s := range snaps {
			out = append(out, s.json())
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// createVolumeSnapshot: POST /v1/apps/{app}/volumes/{id}/snapshots → 200, no body. The
// snapshot is kept for the volume's snapshot_retention days.
func (f *Fly) createVolumeSnapshot(w http.ResponseWriter, r *http.Request) {
	f.withVolume(w, r, false, func(a *flyApp, v *flyVolume) {
		if a.Snapshots == nil {
			a.Snapshots = map[string]*flyVolumeSnapshot{}
		}
		s := &flyVolumeSnapshot{
			ID: "vs_" + randomFrom(lowerAlnum, 16), VolumeID: v.ID, Region: v.Region, VolumeSizeGB: v.SizeGB,
			RetentionDays: v.SnapshotRetention, CreatedAt: f.clock.Now().UTC(),
		}
		a.Snapshots[s.ID] = s
		w.WriteHeader(http.StatusOK)
	})
}

// restoreSnapshotLocked checks a volume create's snapshot_id: the snapshot must be one of the
// app's, still kept, in the new volume's region, and no larger than it. It returns the
// snapshot, and the size the new volume gets when size_gb is not given (the snapshot's).
func (f *Fly) restoreSnapshotLocked(a *flyApp, snapshotID, region string, sizeGB *int) (*flyVolumeSnapshot, int, error) {
	f.liveSnapshotsLocked(a, "")
	s, ok := a.Snapshots[snapshotID]
	if !ok {
		return nil, 0, flyErrorf(http.StatusNotFound, "snapshot %s not found in app %s (snapshots are kept for their retention period, within their app)", snapshotID, a.Name)
	}
	if s.Region != region {
		return nil, 0, flyErrorf(http.StatusBadRequest, "snapshot %s is in region %s: restore it in that region", s.ID, s.Region)
	}
	size := s.VolumeSizeGB
	if sizeGB != nil {
		size = *sizeGB
	}
	if size < s.VolumeSizeGB {
		return nil, 0, flyErrorf(http.StatusBadRequest, "size_gb %d is smaller than snapshot %s of a %d GB volume", size, s.ID, s.VolumeSizeGB)
	}
	return s, size, nil
}
