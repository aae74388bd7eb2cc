package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// auditColumns lists the audit_events table's columns for e, whose Details are the JSON
// document details.
func auditColumns(e *launchpad.AuditEvent, details *string) columns {
	return columns{
		{"stream", e.Stream, &e.Stream},
		{"seq", e.Seq, &e.Seq},
		{"id", e.ID, &e.ID},
		{"time", timeArg(e.Time), scanTime(&e.Time)},
		{"actor", e.Actor, &e.Actor},
		{"action", e.Action, &e.Action},
		{"target", e.Target, &e.Target},
		{"details", *details, details},
		{"prev_hash", e.PrevHash, &e.PrevHash},
		{"hash", e.Hash, &e.Hash},
		{"log_index", e.Index, logIndex{&e.Index}},
		{"pseudonymised", e.Pseudonymised, &e.Pseudonymised},
		{"trimmed", e.Trimmed, &e.Trimmed},
	}
}

var selectAudit = auditColumns(&launchpad.AuditEvent{}, new(string)).selectFrom("audit_events")

// AppendAudit assigns e its Seq, PrevHash and Hash within its stream (ID and Time too when
// empty), and its Index in the tree, and stores it with the tree hashes it adds, in one write
// transaction: appends are serialised by the write lock, so they form one chain per stream
// and contiguous indices. The table refuses DELETE and any UPDATE but IndexAudit's (triggers).
func (db *DB) AppendAudit(ctx context.Context, e *launchpad.AuditEvent) (*launchpad.AuditEvent, error) {
	if err := contract.CheckAudit(e); err != nil {
		return nil, err
	}
	if err := checkUTF8Map("audit details", e.Details); err != nil {
		return nil, err
	}
	c := *e
	c.Details = maps.Clone(e.Details)
	if c.ID == "" {
		c.ID = launchpad.NewID(20)
	}
	if c.Time.IsZero() {
		c.Time = db.clock()
	}
	c.Time = c.Time.UTC().Truncate(time.Microsecond)
	if c.Details == nil {
		c.Details = map[string]string{}
	}
	encoded, err := json.Marshal(c.Details)
	if err != nil {
		return nil, err
	}
	details := string(encoded)

	var out *launchpad.AuditEvent
	err = db.write(ctx, func(tx *sql.Tx) error {
		var last launchpad.AuditEvent
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events WHERE stream = ? ORDER BY seq DESC LIMIT 1`, c.Stream).
			Scan(&last.Seq, &last.Hash)
		if err != nil && !isNoRows(err) {
			return err
		}
		c.Seq, c.PrevHash = last.Seq+1, last.Hash
		c.Hash = launchpad.AuditHash(&c)
		if c.Index, err = treeSize(ctx, tx); err != nil {
			return err
		}
		if err := addLeaf(ctx, tx, &c); err != nil {
			return err
		}
		query, args := auditColumns(&c, &details).insert("audit_events")
		_, err = tx.ExecContext(ctx, query, args...)
		if uniqueViolation(err) == "audit_events.id" {
			return launchpad.Errorf(launchpad.ECONFLICT, "audit event %q already exists", c.ID)
		} else if err != nil {
			return err
		}
		out, err = scanAudit(tx.QueryRowContext(ctx, selectAudit+` WHERE stream = ? AND seq = ?`, c.Stream, c.Seq))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAudit returns the events f selects: with f.Stream, that stream in Seq order from
// f.AfterSeq on; otherwise every stream by time. Since is inclusive; Limit 0 means 100 and at
// most 1000 are returned.
func (db *DB) ListAudit(ctx context.Context, f launchpad.AuditFilter) ([]*launchpad.AuditEvent, error) {
	var since any // NULL: no lower bound
	if !f.Since.IsZero() {
		since = f.Since.UnixMicro()
	}
	query := auditQuery(f.Stream != "", f.Newest)
	return list(ctx, db, scanAudit, query, sql.Named("stream", f.Stream), sql.Named("after_seq", f.AfterSeq),
		sql.Named("since", since), sql.Named("limit", contract.ListLimit(f.Limit)))
}

// auditQuery returns the constant query for one form of ListAudit: one stream in seq order
// (served by the primary key) or every stream in time order (served by audit_events_time).
// Parameters: :stream, :after_seq, :since (NULL for none), :limit.
func auditQuery(byStream, newest bool) string {
	stream := selectAudit + `
			WHERE stream = :stream AND seq > :after_seq AND (:since IS NULL OR time >= :since) ORDER BY seq`
	all := selectAudit + `
			WHERE :stream = '' AND (:since IS NULL OR time >= :since) ORDER BY time`
	switch {
	case byStream && newest:
		return stream + ` DESC LIMIT :limit`
	case byStream:
		return stream + ` LIMIT :limit`
	case newest:
		return all + ` DESC, stream DESC, seq DESC LIMIT :limit`
	default:
		return all + `, stream, seq LIMIT :limit`
	}
}

func scanAudit(row scanner) (*launchpad.AuditEvent, error) {
	var (
		e       launchpad.AuditEvent
		details string
	)
	if err := row.Scan(auditColumns(&e, &details).dests()...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return nil, fmt.Errorf("decoding details of audit event %s: %w", e.ID, err)
	}
	return &e, nil
}
