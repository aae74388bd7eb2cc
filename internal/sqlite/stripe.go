package sqlite

import (
	"context"
	"database/sql"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// stripeEventColumns lists the table's columns for a record (internal/store/tables).
var stripeEventColumns = fromTable(tables.StripeEvent)

var (
	selectStripeEvents = stripeEventColumns(&launchpad.StripeEvent{}).selectFrom("stripe_events")
	scanStripeEvent    = scanWith(stripeEventColumns)
)

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
		query, args := stripeEventColumns(&c).insert("stripe_events")
		res, err := tx.ExecContext(ctx, query+` ON CONFLICT (id) DO NOTHING`, args...)
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
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.StripeEvent, error) {
		return findStripeEvent(ctx, tx, id)
	})
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
		query, args := stripeEventColumns(ev).update("stripe_events", "id")
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
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
	return list(ctx, db, scanStripeEvent, selectStripeEvents+`
			ORDER BY received_at DESC, id DESC LIMIT ?`, contract.ListLimit(limit))
}

func findStripeEvent(ctx context.Context, tx *sql.Tx, id string) (*launchpad.StripeEvent, error) {
	ev, err := scanStripeEvent(tx.QueryRowContext(ctx, selectStripeEvents+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("Stripe event", id)
	}
	return ev, err
}
