package postgres

import (
	"context"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// auditColumns lists the columns of audit_events with the fields of e they hold.
func auditColumns(e *launchpad.AuditEvent) columns {
	return columns{
		{"stream", &e.Stream},
		{"seq", &e.Seq},
		{"id", &e.ID},
		{"time", ts(&e.Time)},
		{"actor", &e.Actor},
		{"action", &e.Action},
		{"target", &e.Target},
		{"details", &e.Details},
		{"prev_hash", &e.PrevHash},
		{"hash", &e.Hash},
		{"log_index", logIndex{&e.Index}},
		{"pseudonymised", &e.Pseudonymised},
		{"trimmed", &e.Trimmed},
	}
}

// auditNames is the column list of audit_events.
var auditNames = auditColumns(&launchpad.AuditEvent{}).names()

// AppendAudit assigns e its Seq, PrevHash and Hash within its stream (ID and Time too when
// empty), and its Index in the tree, and stores it with the tree hashes it adds.
//
// READ COMMITTED under a transaction-scoped advisory lock on the whole log, taken by a
// statement of its own before the stream's last event and the tree size are read: appends,
// from any replica, queue on the lock, and each reads — in a statement that starts after the
// lock was granted — what the one before it committed, so together they form one chain per
// stream and contiguous indices. One lock for the whole log (not per stream) is the price of
// one tree: appends are serialised, each holding the lock for a few statements. The primary
// key (stream, seq) and the unique log_index would refuse a fork if the lock were ever
// bypassed; the table refuses DELETE, TRUNCATE and any UPDATE but IndexAudit's (triggers).
func (db *DB) AppendAudit(ctx context.Context, e *launchpad.AuditEvent) (*launchpad.AuditEvent, error) {
	if err := contract.CheckAudit(e); err != nil {
		return nil, err
	}
	details, err := textMap("audit details", maps.Clone(e.Details))
	if err != nil {
		return nil, err
	}
	c := *e
	c.Details = details
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	c.Time = db.orNow(c.Time)

	var out *launchpad.AuditEvent
	err = db.write(ctx, func(tx pgx.Tx) error {
		if err := db.lockAuditLog(ctx, tx); err != nil {
			return err
		}
		c.Seq, c.PrevHash = 0, ""
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_events WHERE stream = $1 ORDER BY seq DESC LIMIT 1`, c.Stream).Scan(&c.Seq, &c.PrevHash)
		if err != nil && !isNoRows(err) {
			return err
		}
		c.Seq++
		c.Hash = launchpad.AuditHash(&c)
		if c.Index, err = treeSize(ctx, tx); err != nil {
			return err
		}
		if err := addLeaf(ctx, tx, &c); err != nil {
			return err
		}
		q, args := auditColumns(&c).insert("audit_events")
		out = &launchpad.AuditEvent{}
		err = tx.QueryRow(ctx, q+` RETURNING `+auditNames, args...).Scan(auditColumns(out).refs()...)
		if violated(err) == "audit_events_id_key" {
			return launchpad.Errorf(launchpad.ECONFLICT, "audit event %q already exists", launchpad.Clip(c.ID, 200))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAudit returns the events f selects: with f.Stream, that stream in Seq order from
// f.AfterSeq on (served by the primary key); otherwise every stream by time (served by
// audit_events_time). Since is inclusive; Limit 0 means 100 and at most 1000 are returned.
func (db *DB) ListAudit(ctx context.Context, f launchpad.AuditFilter) ([]*launchpad.AuditEvent, error) {
	var since *time.Time // NULL: no lower bound
	if !f.Since.IsZero() {
		since = &f.Since
	}
	dir := ""
	if f.Newest {
		dir = " DESC"
	}
	q := `SELECT ` + auditNames + ` FROM audit_events WHERE ($1::timestamptz IS NULL OR time >= $1)`
	args := []any{since, contract.ListLimit(f.Limit)}
	if f.Stream != "" {
		q += ` AND stream = $3 AND seq > $4 ORDER BY seq` + dir + ` LIMIT $2`
		args = append(args, f.Stream, f.AfterSeq)
	} else {
		q += ` ORDER BY time` + dir + `, stream` + dir + `, seq` + dir + ` LIMIT $2`
	}
	var out []*launchpad.AuditEvent
	err := db.alone(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = collect(rows, auditColumns)
		return err
	})
	return out, err
}
