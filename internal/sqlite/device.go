package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TouchDevice records a sign-in from d at now and reports whether the device is new for the
// user. The write lock makes exactly one of concurrent first sign-ins see it as new.
func (db *DB) TouchDevice(ctx context.Context, d *launchpad.Device, now time.Time) (bool, error) {
	now = db.orNow(now)
	isNew := false
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO devices (user_id, fingerprint, user_agent, first_seen, last_seen)
			VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (user_id, fingerprint) DO NOTHING`,
			d.UserID, d.Fingerprint, d.UserAgent, timeArg(now))
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
		_, err = tx.ExecContext(ctx, `UPDATE devices SET user_agent = ?1,
			last_seen = CASE WHEN last_seen IS NULL OR last_seen < ?2 THEN ?2 ELSE last_seen END
			WHERE user_id = ?3 AND fingerprint = ?4`, d.UserAgent, timeArg(now), d.UserID, d.Fingerprint)
		return err
	})
	return isNew, err
}

// ListDevices returns the user's known devices, most recently seen first.
func (db *DB) ListDevices(ctx context.Context, userID string) ([]*launchpad.Device, error) {
	var devices []*launchpad.Device
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT user_id, fingerprint, user_agent, first_seen, last_seen
			FROM devices WHERE user_id = ? ORDER BY last_seen DESC, fingerprint`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d launchpad.Device
			if err := rows.Scan(&d.UserID, &d.Fingerprint, &d.UserAgent, scanTime(&d.FirstSeen), scanTime(&d.LastSeen)); err != nil {
				return err
			}
			devices = append(devices, &d)
		}
		return rows.Err()
	})
	return devices, err
}
