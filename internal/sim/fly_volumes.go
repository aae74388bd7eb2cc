package sim

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// volumeNamePattern is Fly's rule for volume names: lower-case letters, digits and
// underscores, at most 30 characters.
var volumeNamePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// regionPattern accepts Fly-style three-letter region codes.
var regionPattern = regexp.MustCompile(`^[a-z]{3}$`)

// Fly's volume size bounds, in GB.
const (
	minVolumeGB = 1
	maxVolumeGB = 500
)

// volumeJSON is a volume as the API answers it (the spec's Volume plus what flaps decodes).
// attached_machine_id and attached_alloc_id are null when detached.
type volumeJSON struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	State             string  `json:"state"`
	SizeGB            int     `json:"size_gb"`
	Region            string  `json:"region"`
	Zone              string  `json:"zone"`
	Encrypted         bool    `json:"encrypted"`
	AttachedMachineID *string `json:"attached_machine_id"`
	AttachedAllocID   *string `json:"attached_alloc_id"`
	CreatedAt         string  `json:"created_at"`
	HostDedicationID  string  `json:"host_dedication_id"`
	SnapshotRetention int     `json:"snapshot_retention"`
	AutoBackupEnabled bool    `json:"auto_backup_enabled"`
	FSType            string  `json:"fstype"`
	BlockSize         int     `json:"block_size"`
	Blocks            int     `json:"blocks"`
	BlocksFree        int     `json:"blocks_free"`
	BlocksAvail       int     `json:"blocks_avail"`
	HostStatus        string  `json:"host_status"`
}

// volumeJSON renders v. blocks, blocks_free and blocks_avail describe the filesystem, which
// lags behind size_gb after an extend until the machine mounting it boots again.
func (f *Fly) volumeJSON(a *flyApp, v *flyVolume, state string) volumeJSON {
	if state == "" {
		state = v.state()
	}
	blocks := v.FSSizeGB * (1 << 30) / 4096
	out := volumeJSON{
		ID: v.ID, Name: v.Name, State: state, SizeGB: v.SizeGB, Region: v.Region, Zone: v.Zone,
		Encrypted: v.Encrypted, CreatedAt: rfc3339(v.CreatedAt), SnapshotRetention: v.SnapshotRetention,
		AutoBackupEnabled: v.AutoBackup, FSType: v.FSType, BlockSize: 4096, Blocks: blocks,
		BlocksFree: blocks, BlocksAvail: blocks, HostStatus: "ok",
	}
	if v.AttachedMachineID != "" {
		id := v.AttachedMachineID
		out.AttachedMachineID = &id
		if m, ok := a.Machines[id]; ok {
			alloc := m.InstanceID
			out.AttachedAllocID = &alloc
		}
	}
	return out
}

// state is the volume's state: created, or pending_destroy once deleted.
func (v *flyVolume) state() string {
	if !v.DeletedAt.IsZero() {
		return volumePendingDestroy
	}
	return volumeCreated
}

// createVolume: POST /v1/apps/{app}/volumes. name and region are required; size_gb
// defaults to 1 (to the snapshot's size for a restore), encrypted to true (Fly's defaults).
// snapshot_id restores one of the app's snapshots (fly_volume_snapshots.go); forks are not
// modelled.
func (f *Fly) createVolume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name              string  `json:"name"`
		Region            string  `json:"region"`
		SizeGB            *int    `json:"size_gb"`
		Encrypted         *bool   `json:"encrypted"`
		SnapshotRetention *int    `json:"snapshot_retention"`
		AutoBackupEnabled *bool   `json:"auto_backup_enabled"`
		FSType            *string `json:"fstype"`
		SnapshotID        *string `json:"snapshot_id"`
		SourceVolumeID    *string `json:"source_volume_id"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	if req.SourceVolumeID != nil && *req.SourceVolumeID != "" {
		writeFlyError(w, http.StatusNotImplemented, "not implemented by the simulator: volumes forked from another volume")
		return
	}
	size := 1
	if req.SizeGB != nil {
		size = *req.SizeGB
	}
	switch {
	case !volumeNamePattern.MatchString(req.Name):
		writeFlyError(w, http.StatusBadRequest, "invalid volume name "+strconv.Quote(req.Name)+": use 1-30 lower-case letters, digits and underscores")
		return
	case !validRegion(req.Region):
		writeFlyError(w, http.StatusBadRequest, regionError(req.Region))
		return
	case size < minVolumeGB || size > maxVolumeGB:
		writeFlyError(w, http.StatusBadRequest, "invalid size_gb: volumes are 1 to 500 GB")
		return
	}
	fstype := "ext4"
	if req.FSType != nil && *req.FSType != "" {
		if *req.FSType != "ext4" && *req.FSType != "raw" {
			writeFlyError(w, http.StatusBadRequest, "invalid fstype "+strconv.Quote(*req.FSType)+": use \"ext4\" or \"raw\"")
			return
		}
		fstype = *req.FSType
	}
	f.withApp(w, r, func(a *flyApp) {
		restoredFrom := ""
		if req.SnapshotID != nil && *req.SnapshotID != "" {
			snap, restoredSize, err := f.restoreSnapshotLocked(a, *req.SnapshotID, req.Region, req.SizeGB)
			if err != nil {
				writeFlyErr(w, err)
				return
			}
			if restoredSize > maxVolumeGB {
				writeFlyError(w, http.StatusBadRequest, "invalid size_gb: volumes are 1 to 500 GB")
				return
			}
			size, restoredFrom = restoredSize, snap.ID
		}
		v := &flyVolume{
			ID:                "vol_" + randomFrom(lowerAlnum, 16),
			Name:              req.Name,
			Region:            req.Region,
			Zone:              randomHex(2),
			SizeGB:            size,
			Encrypted:         req.Encrypted == nil || *req.Encrypted,
			FSType:            fstype,
			SnapshotRetention: 5,
			AutoBackup:        req.AutoBackupEnabled == nil || *req.AutoBackupEnabled,
			CreatedAt:         f.clock.Now().UTC(),
			RestoredFrom:      restoredFrom,
			FSSizeGB:          size,
		}
		if req.SnapshotRetention != nil {
			v.SnapshotRetention = *req.SnapshotRetention
		}
		a.Volumes[v.ID] = v
		writeJSON(w, http.StatusOK, f.volumeJSON(a, v, ""))
	})
}

// listVolumes: GET /v1/apps/{app}/volumes → [volume…], oldest first, deleted ones included
// (state pending_destroy) until PendingDestroyRetention has passed, as Fly lists them for up
// to a day (flaps.GetVolumes filters these states out for its callers).
func (f *Fly) listVolumes(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		vols := slices.Collect(maps.Values(a.Volumes))
		sortOldestFirst(vols)
		out := make([]volumeJSON, 0, len(vols))
		for _, v := range vols {
			out = append(out, f.volumeJSON(a, v, ""))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// getVolume: GET …/volumes/{id} → the volume; a deleted one in state pending_destroy while
// it is still listed.
func (f *Fly) getVolume(w http.ResponseWriter, r *http.Request) {
	f.withVolume(w, r, true, func(a *flyApp, v *flyVolume) {
		writeJSON(w, http.StatusOK, f.volumeJSON(a, v, ""))
	})
}

// updateVolume: PUT (flaps) or POST (spec) /v1/apps/{app}/volumes/{id} with
// snapshot_retention and/or auto_backup_enabled.
func (f *Fly) updateVolume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SnapshotRetention *int  `json:"snapshot_retention"`
		AutoBackupEnabled *bool `json:"auto_backup_enabled"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	f.withVolume(w, r, false, func(a *flyApp, v *flyVolume) {
		if req.SnapshotRetention != nil {
			if *req.SnapshotRetention < 1 || *req.SnapshotRetention > 60 {
				writeFlyError(w, http.StatusBadRequest, "invalid snapshot_retention: use 1 to 60 days")
				return
			}
			v.SnapshotRetention = *req.SnapshotRetention
		}
		if req.AutoBackupEnabled != nil {
			v.AutoBackup = *req.AutoBackupEnabled
		}
		writeJSON(w, http.StatusOK, f.volumeJSON(a, v, ""))
	})
}

// extendVolume: PUT /v1/apps/{app}/volumes/{id}/extend {"size_gb"} → {"volume",
// "needs_restart"}. Volumes only grow: a size not larger than the current one is a 400.
// needs_restart is true when the volume is mounted by a running machine: its filesystem (the
// blocks the volume reports, and what the machine sees) keeps the old size until that machine
// boots again — a restart, or an update that replaces it. Otherwise the filesystem is grown
// at the next mount and needs_restart is false.
func (f *Fly) extendVolume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SizeGB int `json:"size_gb"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	f.withVolume(w, r, false, func(a *flyApp, v *flyVolume) {
		switch {
		case req.SizeGB <= v.SizeGB:
			writeFlyError(w, http.StatusBadRequest, "size_gb must be greater than the volume's current size ("+strconv.Itoa(v.SizeGB)+" GB): volumes can be extended, never shrunk")
			return
		case req.SizeGB > maxVolumeGB:
			writeFlyError(w, http.StatusBadRequest, "invalid size_gb: volumes are at most 500 GB")
			return
		}
		v.SizeGB = req.SizeGB
		needsRestart := false
		if m, ok := a.Machines[v.AttachedMachineID]; ok && (m.running() || m.State == stateStopping) {
			needsRestart = true
		} else {
			v.FSSizeGB = v.SizeGB
		}
		writeJSON(w, http.StatusOK, map[string]any{"volume": f.volumeJSON(a, v, ""), "needs_restart": needsRestart})
	})
}

// deleteVolume: DELETE /v1/apps/{app}/volumes/{id} → the volume in state
// "scheduling_destroy"; afterwards it is listed as pending_destroy (and then gone, 404). A
// volume still attached to a machine — one being destroyed included — is refused with 412:
// wait until the machine is destroyed. Deleting it again answers 404.
func (f *Fly) deleteVolume(w http.ResponseWriter, r *http.Request) {
	f.withVolume(w, r, false, func(a *flyApp, v *flyVolume) {
		if v.AttachedMachineID != "" {
			state := ""
			if m, ok := a.Machines[v.AttachedMachineID]; ok {
				state = " (" + m.State + ")"
			}
			writeFlyError(w, http.StatusPreconditionFailed, "failed_precondition: volume "+v.ID+" is attached to machine "+v.AttachedMachineID+state+": destroy the machine and wait until it is destroyed first")
			return
		}
		v.DeletedAt = f.clock.Now().UTC()
		writeJSON(w, http.StatusOK, f.volumeJSON(a, v, volumeSchedulingDestroy))
	})
}

// volume looks up {app} and {id} of the request; a deleted (pending_destroy) volume counts
// only when deleted is true.
func (f *Fly) volume(r *http.Request, deleted bool) (*flyApp, *flyVolume, error) {
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		return nil, nil, err
	}
	v, ok := a.Volumes[r.PathValue("id")]
	if !ok || (!deleted && !v.DeletedAt.IsZero()) {
		return nil, nil, flyErrorf(http.StatusNotFound, "volume not found")
	}
	return a, v, nil
}
