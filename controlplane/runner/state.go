package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// stateFile is the local backend's state file in a workspace.
const stateFile = "terraform.tfstate"

// restoredState is what restoreState put in the work directory.
type restoredState struct {
	version int64  // the store's version, for the optimistic write-back (0: none stored)
	data    []byte // what the work directory held after the restore (nil: no state)
}

// stateHeader holds the fields of a state file that say which is newer.
type stateHeader struct {
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

func readStateHeader(b []byte) (stateHeader, bool) {
	var h stateHeader
	if len(b) == 0 || json.Unmarshal(b, &h) != nil || h.Lineage == "" {
		return h, false
	}
	return h, true
}

// restoreState writes the tenant's stored state into dir. The store is the source of truth,
// with one exception: a local state of the same lineage and a higher serial (or a local state
// when the store has none) is kept, because it can only come from an earlier run on this
// machine whose write-back failed, and dropping it would forget resources that exist.
func restoreState(ctx context.Context, st launchpad.StateStore, workspace, dir string, log *slog.Logger) (restoredState, error) {
	path := filepath.Join(dir, stateFile)
	local, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return restoredState{}, err
	}
	blob, err := st.GetState(ctx, workspace)
	switch {
	case launchpad.IsNotFound(err):
		if lh, ok := readStateHeader(local); ok {
			log.Warn("keeping a local state the store does not have (an earlier write-back failed)", "workspace", workspace, "serial", lh.Serial)
			return restoredState{data: local}, nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return restoredState{}, err
		}
		return restoredState{}, nil
	case err != nil:
		return restoredState{}, launchpad.Wrapf(err, "reading the Terraform state of %s from the store", workspace)
	}
	if lh, ok := readStateHeader(local); ok {
		if sh, ok := readStateHeader(blob.Data); ok && lh.Lineage == sh.Lineage && lh.Serial > sh.Serial {
			log.Warn("keeping a local state newer than the stored one (an earlier write-back failed)", "workspace", workspace, "local_serial", lh.Serial, "stored_serial", sh.Serial)
			return restoredState{version: blob.Version, data: local}, nil
		}
	}
	if err := writeFileAtomic(path, blob.Data); err != nil {
		return restoredState{}, err
	}
	return restoredState{version: blob.Version, data: blob.Data}, nil
}

// saveState writes the work directory's state back to the store when it differs from what
// was restored. It returns the new stored version (the old one when nothing changed).
func saveState(ctx context.Context, st launchpad.StateStore, workspace, dir string, restored restoredState) (int64, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return restored.version, nil // tofu never got to write one
	}
	if err != nil {
		return 0, err
	}
	if restored.version != 0 && bytes.Equal(data, restored.data) {
		return restored.version, nil
	}
	v, err := st.PutState(ctx, &launchpad.StateBlob{Workspace: workspace, Data: data, Version: restored.version})
	if err != nil {
		return 0, launchpad.Wrapf(err, "saving the Terraform state of %s to the store (kept in %s for the next run)", workspace, dir)
	}
	return v, nil
}

// writeFileAtomic writes data to path through a temporary file and a rename, with owner-only
// permissions (a state names every resource of the tenant).
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
