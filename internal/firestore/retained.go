package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// retainedDoc is a retained workspace (launchpad_retained_workspaces/{app name}).
type retainedDoc struct {
	AppName    string     `firestore:"appName"`
	SnapshotID string     `firestore:"snapshotId"`
	KeptAt     *time.Time `firestore:"keptAt"`
	Until      *time.Time `firestore:"until"`
}

// PutRetainedWorkspace records w, replacing the record of the same app.
func (s *Store) PutRetainedWorkspace(ctx context.Context, w *launchpad.RetainedWorkspace) error {
	d := &retainedDoc{AppName: w.AppName, SnapshotID: w.SnapshotID, KeptAt: ts(w.KeptAt), Until: ts(w.Until)}
	_, err := s.doc(s.col.retained, w.AppName).Set(ctx, d)
	return storeError(err, "record a retained workspace")
}

// ListRetainedWorkspaces returns at most limit workspaces kept before keptBefore, oldest first.
func (s *Store) ListRetainedWorkspaces(ctx context.Context, keptBefore time.Time, limit int) ([]*launchpad.RetainedWorkspace, error) {
	q := s.client.Collection(s.col.retained).Where("keptAt", "<", keptBefore).OrderBy("keptAt", firestore.Asc).Limit(limit)
	return readAll(ctx, q, "list retained workspaces", func(snap *firestore.DocumentSnapshot) (*launchpad.RetainedWorkspace, error) {
		var d retainedDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, err
		}
		return &launchpad.RetainedWorkspace{AppName: d.AppName, SnapshotID: d.SnapshotID, KeptAt: fromTS(d.KeptAt), Until: fromTS(d.Until)}, nil
	})
}

// DeleteRetainedWorkspace forgets the app's record.
func (s *Store) DeleteRetainedWorkspace(ctx context.Context, appName string) error {
	_, err := s.doc(s.col.retained, appName).Delete(ctx)
	return storeError(err, "forget a retained workspace")
}
