package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CreateRollout stores r as a new rollout. ECONFLICT if its id is taken.
func (db *DB) CreateRollout(ctx context.Context, r *launchpad.Rollout) error {
	c := *r
	c.CreatedAt, c.UpdatedAt = db.orNow(c.CreatedAt), db.orNow(c.UpdatedAt)
	data, err := json.Marshal(&c)
	if err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "rollout %q cannot be stored: %v", r.ID, err)
	}
	return db.alone(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO rollouts (id, created_at, data) VALUES ($1, $2, $3)`, c.ID, c.CreatedAt, data)
		if violated(err) == "rollouts_pkey" {
			return launchpad.Errorf(launchpad.ECONFLICT, "rollout %q already exists", launchpad.Clip(c.ID, 200))
		}
		return err
	})
}

// GetRollout returns the rollout with id, or ENOTFOUND.
func (db *DB) GetRollout(ctx context.Context, id string) (*launchpad.Rollout, error) {
	var r *launchpad.Rollout
	err := db.alone(ctx, func(q querier) (err error) {
		r, err = findRollout(ctx, q, id, "")
		return err
	})
	return r, err
}

// ListRollouts returns up to limit rollouts (0: 100), newest first.
func (db *DB) ListRollouts(ctx context.Context, limit int) ([]*launchpad.Rollout, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []*launchpad.Rollout
	err := db.alone(ctx, func(q querier) error {
		out = nil
		rows, err := q.Query(ctx, `SELECT data FROM rollouts ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRollout(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateRollout applies fn to the stored rollout, its row locked first.
func (db *DB) UpdateRollout(ctx context.Context, id string, fn func(*launchpad.Rollout) error) (*launchpad.Rollout, error) {
	var out *launchpad.Rollout
	err := db.write(ctx, func(tx pgx.Tx) error {
		r, err := findRollout(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.ID != id {
			return keyChanged("rollout", "ID", id, r.ID)
		}
		r.UpdatedAt = db.clock()
		data, err := json.Marshal(r)
		if err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "rollout %q cannot be stored: %v", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE rollouts SET data = $1 WHERE id = $2`, data, id); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findRollout(ctx context.Context, q querier, id, lock string) (*launchpad.Rollout, error) {
	r, err := scanRollout(q.QueryRow(ctx, `SELECT data FROM rollouts WHERE id = $1 `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("rollout", id)
	}
	return r, err
}

func scanRollout(row pgx.Row) (*launchpad.Rollout, error) {
	var data []byte
	if err := row.Scan(&data); err != nil {
		return nil, err
	}
	r := &launchpad.Rollout{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "a stored rollout is not valid JSON: %v", err)
	}
	return r, nil
}

// GetFleet returns the fleet record, or the zero record when none is stored.
func (db *DB) GetFleet(ctx context.Context) (*launchpad.Fleet, error) {
	var f *launchpad.Fleet
	err := db.alone(ctx, func(q querier) (err error) {
		f, err = findFleet(ctx, q, "")
		return err
	})
	return f, err
}

// UpdateFleet applies fn to the fleet record (the zero record if none) in one transaction; the
// row is created first so that concurrent updates queue on its lock.
func (db *DB) UpdateFleet(ctx context.Context, fn func(*launchpad.Fleet) error) (*launchpad.Fleet, error) {
	var out *launchpad.Fleet
	err := db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO fleet (id, image) VALUES (1, '') ON CONFLICT (id) DO NOTHING`); err != nil {
			return err
		}
		f, err := findFleet(ctx, tx, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		f.UpdatedAt = db.clock()
		_, err = tx.Exec(ctx, `UPDATE fleet SET image = $1, updated_at = $2 WHERE id = 1`, f.Image, f.UpdatedAt)
		out = f
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findFleet(ctx context.Context, q querier, lock string) (*launchpad.Fleet, error) {
	f := &launchpad.Fleet{}
	var updated *time.Time
	err := q.QueryRow(ctx, `SELECT image, updated_at FROM fleet WHERE id = 1 `+lock).Scan(&f.Image, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return &launchpad.Fleet{}, nil
	}
	if updated != nil {
		f.UpdatedAt = updated.UTC()
	}
	return f, err
}
