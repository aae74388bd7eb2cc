package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// stripeEventColumns lists the table's columns for a record (internal/store/tables).
var stripeEventColumns = fromTable(tables.StripeEvent)

// stripeEventTable is the stripe_events table.
var stripeEventTable = table[launchpad.StripeEvent]{
	name: "stripe_events", what: "Stripe event", keyField: "ID",
	key:  func(ev *launchpad.StripeEvent) string { return ev.ID },
	cols: stripeEventColumns,
	stamp: func(ev *launchpad.StripeEvent, now time.Time, create bool) {
		if create && ev.ReceivedAt.IsZero() {
			ev.ReceivedAt = now
		}
	},
	storable: func(ev *launchpad.StripeEvent) (*launchpad.StripeEvent, error) {
		c := *ev
		if c.Payload == nil {
			c.Payload = []byte{} // the column is NOT NULL; an empty body is still a body
		}
		return &c, nil
	},
}

// RecordStripeEvent stores ev unless an event with its ID exists and, in the same transaction,
// enqueues job. It returns false, with nothing written, for a duplicate.
//
// READ COMMITTED is enough: the INSERT … ON CONFLICT (id) DO NOTHING is one statement, and a
// second writer of the same id waits for the first one's transaction — it inserts if that one
// rolled back (its job could not be stored, say) and does nothing if it committed. So exactly
// one delivery of an event records it and enqueues its job, whatever the number of replicas.
func (db *DB) RecordStripeEvent(ctx context.Context, ev *launchpad.StripeEvent, job *launchpad.Job) (bool, error) {
	if ev.ID == "" {
		return false, launchpad.Errorf(launchpad.EINVALID, "a Stripe event needs its id (evt_…)")
	}
	c, _ := stripeEventTable.storable(ev)
	now := db.clock()
	stripeEventTable.stamp(c, now, true)
	recorded := false
	record := func(q querier) error {
		sql, args := stripeEventColumns(c).insert("stripe_events")
		var id string
		switch err := q.QueryRow(ctx, sql+` ON CONFLICT (id) DO NOTHING RETURNING id`, args...).Scan(&id); {
		case isNoRows(err):
			recorded = false // a duplicate: nothing written, nothing enqueued
			return nil
		case err != nil:
			return err
		}
		recorded = true
		return nil
	}
	var err error
	if job == nil {
		// One statement: no transaction of its own is needed.
		err = db.alone(ctx, record)
	} else {
		err = db.write(ctx, func(tx pgx.Tx) error {
			if err := record(tx); err != nil || !recorded {
				return err
			}
			_, err := db.enqueueJob(ctx, tx, job, now)
			return err
		})
	}
	if err != nil {
		return false, err
	}
	return recorded, nil
}

// GetStripeEvent returns the recorded event with id, or ENOTFOUND.
func (db *DB) GetStripeEvent(ctx context.Context, id string) (*launchpad.StripeEvent, error) {
	return stripeEventTable.get(ctx, db, id)
}

// UpdateStripeEvent applies fn to the recorded event (table.update: READ COMMITTED, the row
// locked first).
func (db *DB) UpdateStripeEvent(ctx context.Context, id string, fn func(*launchpad.StripeEvent) error) (*launchpad.StripeEvent, error) {
	return stripeEventTable.update(ctx, db, id, fn)
}

// ListStripeEvents returns up to limit events, newest received first (limit 0 means 100; at
// most 1000).
func (db *DB) ListStripeEvents(ctx context.Context, limit int) ([]*launchpad.StripeEvent, error) {
	return stripeEventTable.list(ctx, db, `ORDER BY received_at DESC, id DESC LIMIT $1`, contract.ListLimit(limit))
}
