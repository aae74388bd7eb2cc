package firestore

import (
	"context"
	"encoding/json"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// rolloutDoc is a rollout (launchpad_rollouts/{id}): the record as JSON, so that its list of
// tenants is one field, with its creation time beside it for the newest-first list.
type rolloutDoc struct {
	ID        string     `firestore:"id"`
	CreatedAt *time.Time `firestore:"createdAt"`
	Data      string     `firestore:"data"`
}

// rolloutUnreadable is the state of a rollout whose stored JSON does not decode; no step
// changes such a rollout, and its Reason says why.
const rolloutUnreadable = "unreadable"

var rolloutKind = recordKind[launchpad.Rollout, rolloutDoc]{
	what: "rollout", keyName: "ID",
	col: func(s *Store) string { return s.col.rollouts },
	key: func(r *launchpad.Rollout) string { return r.ID },
	encode: func(r *launchpad.Rollout) *rolloutDoc {
		data, err := json.Marshal(r)
		if err != nil { // strings, numbers and times always marshal
			panic("firestore: marshal rollout: " + err.Error())
		}
		return &rolloutDoc{ID: r.ID, CreatedAt: ts(r.CreatedAt), Data: string(data)}
	},
	decode: func(d *rolloutDoc) *launchpad.Rollout {
		r := &launchpad.Rollout{}
		if err := json.Unmarshal([]byte(d.Data), r); err != nil {
			return &launchpad.Rollout{ID: d.ID, State: rolloutUnreadable, Reason: "the stored rollout is not valid JSON: " + err.Error()}
		}
		return r
	},
	times: func(r *launchpad.Rollout) (*time.Time, *time.Time) { return &r.CreatedAt, &r.UpdatedAt },
}

// CreateRollout stores r as a new rollout. ECONFLICT if its id is taken.
func (s *Store) CreateRollout(ctx context.Context, r *launchpad.Rollout) error {
	return createRecord(ctx, s, rolloutKind, r)
}

// GetRollout returns the rollout with id, or ENOTFOUND.
func (s *Store) GetRollout(ctx context.Context, id string) (*launchpad.Rollout, error) {
	return getRecord(ctx, s, rolloutKind, id)
}

// ListRollouts returns up to limit rollouts (0: 100), newest first.
func (s *Store) ListRollouts(ctx context.Context, limit int) ([]*launchpad.Rollout, error) {
	if limit <= 0 {
		limit = 100
	}
	q := s.client.Collection(s.col.rollouts).OrderBy("createdAt", firestore.Desc).Limit(limit)
	return readAll(ctx, q, "list rollouts", rolloutKind.fromSnap)
}

// UpdateRollout applies fn to the stored rollout atomically.
func (s *Store) UpdateRollout(ctx context.Context, id string, fn func(*launchpad.Rollout) error) (*launchpad.Rollout, error) {
	return updateRecord(ctx, s, rolloutKind, id, fn)
}

// fleetDoc is the fleet's desired state (launchpad_platform/fleet).
type fleetDoc struct {
	Image     string     `firestore:"image"`
	UpdatedAt *time.Time `firestore:"updatedAt"`
}

func (s *Store) fleetRef() *firestore.DocumentRef {
	return s.client.Collection(s.col.platform).Doc("fleet")
}

func fleetFrom(snap *firestore.DocumentSnapshot) (*launchpad.Fleet, error) {
	if !snap.Exists() {
		return &launchpad.Fleet{}, nil
	}
	var d fleetDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, storeError(err, "decode the fleet record")
	}
	return &launchpad.Fleet{Image: d.Image, UpdatedAt: fromTS(d.UpdatedAt)}, nil
}

// GetFleet returns the fleet record, or the zero record when none is stored.
func (s *Store) GetFleet(ctx context.Context) (*launchpad.Fleet, error) {
	snap, err := s.get(ctx, s.fleetRef())
	if err != nil {
		return nil, storeError(err, "read the fleet record")
	}
	return fleetFrom(snap)
}

// UpdateFleet applies fn to the fleet record (the zero record if none) atomically.
func (s *Store) UpdateFleet(ctx context.Context, fn func(*launchpad.Fleet) error) (*launchpad.Fleet, error) {
	var out *launchpad.Fleet
	err := s.atomically(ctx, "update the fleet record", func(b *batch) error {
		snap, err := s.get(ctx, s.fleetRef())
		if err != nil {
			return err
		}
		f, err := fleetFrom(snap)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		f.UpdatedAt = s.clock()
		b.put(snap, &fleetDoc{Image: f.Image, UpdatedAt: ts(f.UpdatedAt)})
		out = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
