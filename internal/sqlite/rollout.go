package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CreateRollout stores r as a new rollout. ECONFLICT if its id is taken.
func (db *DB) CreateRollout(ctx context.Context, r *launchpad.Rollout) error {
	c := *r
	now := db.clock()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	c.CreatedAt, c.UpdatedAt = storedTime(c.CreatedAt), storedTime(c.UpdatedAt)
	data, err := json.Marshal(&c)
	if err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "rollout %q cannot be stored: %v", r.ID, err)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rollouts (id, created_at, data) VALUES (?1, ?2, ?3)`, c.ID, timeArg(c.CreatedAt), string(data))
		if uniqueViolation(err) == "rollouts.id" {
			return launchpad.Errorf(launchpad.ECONFLICT, "rollout %q already exists", c.ID)
		}
		return err
	})
}

// GetRollout returns the rollout with id, or ENOTFOUND.
func (db *DB) GetRollout(ctx context.Context, id string) (*launchpad.Rollout, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.Rollout, error) { return findRollout(ctx, tx, id) })
}

// ListRollouts returns up to limit rollouts (0: 100), newest first.
func (db *DB) ListRollouts(ctx context.Context, limit int) ([]*launchpad.Rollout, error) {
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, db, scanRollout, `SELECT data FROM rollouts ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// UpdateRollout applies fn to the stored rollout in one write transaction.
func (db *DB) UpdateRollout(ctx context.Context, id string, fn func(*launchpad.Rollout) error) (*launchpad.Rollout, error) {
	var out *launchpad.Rollout
	err := db.write(ctx, func(tx *sql.Tx) error {
		r, err := findRollout(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.ID != id {
			return keyChanged("rollout", "ID", id, r.ID)
		}
		r.UpdatedAt = storedTime(db.clock())
		data, err := json.Marshal(r)
		if err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "rollout %q cannot be stored: %v", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rollouts SET data = ?1 WHERE id = ?2`, string(data), id); err != nil {
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

func findRollout(ctx context.Context, tx *sql.Tx, id string) (*launchpad.Rollout, error) {
	r, err := scanRollout(tx.QueryRowContext(ctx, `SELECT data FROM rollouts WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("rollout", id)
	}
	return r, err
}

func scanRollout(row scanner) (*launchpad.Rollout, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return nil, err
	}
	r := &launchpad.Rollout{}
	if err := json.Unmarshal([]byte(data), r); err != nil {
		return nil, launchpad.Errorf(launchpad.EINTERNAL, "a stored rollout is not valid JSON: %v", err)
	}
	return r, nil
}

// storedTime is t as the store keeps it: UTC, to the microsecond.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// GetFleet returns the fleet record, or the zero record when none is stored.
func (db *DB) GetFleet(ctx context.Context) (*launchpad.Fleet, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.Fleet, error) { return findFleet(ctx, tx) })
}

// UpdateFleet applies fn to the fleet record (the zero record if none) in one write transaction.
func (db *DB) UpdateFleet(ctx context.Context, fn func(*launchpad.Fleet) error) (*launchpad.Fleet, error) {
	var out *launchpad.Fleet
	err := db.write(ctx, func(tx *sql.Tx) error {
		f, err := findFleet(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		f.UpdatedAt = storedTime(db.clock())
		_, err = tx.ExecContext(ctx, `INSERT INTO fleet (id, image, updated_at) VALUES (1, ?1, ?2)
			ON CONFLICT (id) DO UPDATE SET image = ?1, updated_at = ?2`, f.Image, timeArg(f.UpdatedAt))
		out = f
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findFleet(ctx context.Context, tx *sql.Tx) (*launchpad.Fleet, error) {
	f := &launchpad.Fleet{}
	err := tx.QueryRowContext(ctx, `SELECT image, updated_at FROM fleet WHERE id = 1`).Scan(&f.Image, scanTime(&f.UpdatedAt))
	if isNoRows(err) {
		return &launchpad.Fleet{}, nil
	}
	return f, err
}
