package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

const stripeEventColumns = `id, type, created, api_version, payload, received_at, processed_at, error`

// RecordStripeEvent stores ev unless an event with its ID exists and, in the same
// transaction, enqueues job. It returns false, with nothing written, for a duplicate.
func (db *DB) RecordStripeEvent(ctx context.Context, ev *launchpad.StripeEvent, job *launchpad.Job) (bool, error) {
	if ev.ID == "" {
		return false, launchpad.Errorf(launchpad.EINVALID, "a Stripe event needs its id (evt_…)")
	}
	now := db.clock()
	c := *ev
	if c.ReceivedAt.IsZero() {
		c.ReceivedAt = now
	}
	if c.Payload == nil {
		c.Payload = []byte{}
	}
	recorded := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (`+stripeEventColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, stripeEventArgs(&c)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err // a duplicate: nothing written, nothing enqueued
		}
		if job != nil {
			if _, err := enqueueJob(ctx, tx, job, now); err != nil {
				return err
			}
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return recorded, nil
}

// GetStripeEvent returns the recorded event with id, or ENOTFOUND.
func (db *DB) GetStripeEvent(ctx context.Context, id string) (*launchpad.StripeEvent, error) {
	var ev *launchpad.StripeEvent
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		ev, err = findStripeEvent(ctx, tx, id)
		return err
	})
	return ev, err
}

// UpdateStripeEvent applies fn to the recorded event in one write transaction.
func (db *DB) UpdateStripeEvent(ctx context.Context, id string, fn func(*launchpad.StripeEvent) error) (*launchpad.StripeEvent, error) {
	var out *launchpad.StripeEvent
	err := db.write(ctx, func(tx *sql.Tx) error {
		ev, err := findStripeEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
		if ev.ID != id {
			return keyChanged("Stripe event", "ID", id, ev.ID)
		}
		if ev.Payload == nil {
			ev.Payload = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE stripe_events SET type = ?2, created = ?3,
			api_version = ?4, payload = ?5, received_at = ?6, processed_at = ?7, error = ?8
			WHERE id = ?1`, stripeEventArgs(ev)...); err != nil {
			return err
		}
		out, err = findStripeEvent(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListStripeEvents returns up to limit events, newest received first (limit 0 means 100; at
// most 1000).
func (db *DB) ListStripeEvents(ctx context.Context, limit int) ([]*launchpad.StripeEvent, error) {
	var events []*launchpad.StripeEvent
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+stripeEventColumns+` FROM stripe_events
			ORDER BY received_at DESC, id DESC LIMIT ?`, listLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			ev, err := scanStripeEvent(rows)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		return rows.Err()
	})
	return events, err
}

func findStripeEvent(ctx context.Context, tx *sql.Tx, id string) (*launchpad.StripeEvent, error) {
	ev, err := scanStripeEvent(tx.QueryRowContext(ctx, `SELECT `+stripeEventColumns+` FROM stripe_events WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("Stripe event", id)
	}
	return ev, err
}

func scanStripeEvent(row scanner) (*launchpad.StripeEvent, error) {
	var ev launchpad.StripeEvent
	err := row.Scan(&ev.ID, &ev.Type, scanTime(&ev.Created), &ev.APIVersion, &ev.Payload,
		scanTime(&ev.ReceivedAt), scanTime(&ev.ProcessedAt), &ev.Error)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

func stripeEventArgs(ev *launchpad.StripeEvent) []any {
	return []any{ev.ID, ev.Type, timeArg(ev.Created), ev.APIVersion, ev.Payload,
		timeArg(ev.ReceivedAt), timeArg(ev.ProcessedAt), ev.Error}
}
