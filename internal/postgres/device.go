package postgres

import (
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// deviceColumns lists the table's columns for a record (internal/store/tables).
var deviceColumns = fromTable(tables.Device)

// TouchDevice records a sign-in from d at now and reports whether the device is new for the
// user. One INSERT … ON CONFLICT DO UPDATE, atomic at READ COMMITTED: of concurrent first
// sign-ins exactly one inserts (xmax = 0 tells it from an update), and last_seen never moves
// backwards when sign-ins are recorded out of order.
func (db *DB) TouchDevice(ctx context.Context, d *launchpad.Device, now time.Time) (bool, error) {
	c := *d
	c.FirstSeen, c.LastSeen = db.orNow(now), db.orNow(now)
	isNew := false
	err := db.alone(ctx, func(q querier) error {
		sql, args := deviceColumns(&c).insert("devices")
		return q.QueryRow(ctx, sql+` ON CONFLICT (user_id, fingerprint) DO UPDATE SET user_agent = excluded.user_agent,
			last_seen = greatest(devices.last_seen, excluded.last_seen)
			RETURNING xmax = 0`, args...).Scan(&isNew)
	})
	return isNew, err
}

// ListDevices returns the user's known devices, most recently seen first.
func (db *DB) ListDevices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	var out []*launchpad.Device
	err := db.alone(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+deviceColumns(&launchpad.Device{}).names()+`
			FROM devices WHERE user_id = $1 ORDER BY last_seen DESC, fingerprint`, userID)
		if err != nil {
			return err
		}
		out, err = collect(rows, deviceColumns)
		return err
	})
	return out, err
}
