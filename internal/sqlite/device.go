package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// deviceColumns lists the table's columns for a record (internal/store/tables).
var deviceColumns = fromTable(tables.Device)

var (
	selectDevices = deviceColumns(&launchpad.Device{}).selectFrom("devices")
	scanDevice    = scanWith(deviceColumns)
)

// TouchDevice records a sign-in from d at now and reports whether the device is new for the
// user. The write lock makes exactly one of concurrent first sign-ins see it as new.
func (db *DB) TouchDevice(ctx context.Context, d *launchpad.Device, now time.Time) (bool, error) {
	now = db.orNow(now)
	seen := *d
	seen.FirstSeen, seen.LastSeen = now, now
	isNew := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		query, args := deviceColumns(&seen).insert("devices")
		res, err := tx.ExecContext(ctx, query+` ON CONFLICT (user_id, fingerprint) DO NOTHING`, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			isNew = true
			return nil
		}
		// last_seen never moves backwards when sign-ins are recorded out of order.
		_, err = tx.ExecContext(ctx, `UPDATE devices SET user_agent = :user_agent,
			last_seen = CASE WHEN last_seen IS NULL OR last_seen < :now THEN :now ELSE last_seen END
			WHERE user_id = :user_id AND fingerprint = :fingerprint`,
			sql.Named("user_agent", d.UserAgent), sql.Named("now", timeArg(now)), sql.Named("user_id", d.UserID), sql.Named("fingerprint", d.Fingerprint))
		return err
	})
	return isNew, err
}

// ListDevices returns the user's known devices, most recently seen first.
func (db *DB) ListDevices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	return list(ctx, db, scanDevice, selectDevices+` WHERE user_id = ? ORDER BY last_seen DESC, fingerprint`, userID)
}
