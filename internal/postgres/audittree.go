package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// indexBatch is how many unindexed events one IndexAudit transaction places, so the log's
// lock is never held for long while a large old log is indexed.
const indexBatch = 500

// logIndex holds audit_events.log_index: NULL (an event not in the tree yet) is NotIndexed.
type logIndex struct{ p *int64 }

// Int64Value is how pgx encodes the field.
func (l logIndex) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: *l.p, Valid: *l.p >= 0}, nil
}

// ScanInt64 is how pgx decodes the column.
func (l logIndex) ScanInt64(v pgtype.Int8) error {
	*l.p = launchpad.NotIndexed
	if v.Valid {
		*l.p = v.Int64
	}
	return nil
}

// lockAuditLog takes the transaction-scoped advisory lock every writer of the log's tree
// holds (AppendAudit, IndexAudit), in a statement of its own, so the statements after it see
// what the previous holder committed.
func (db *DB) lockAuditLog(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "launchpad audit log "+db.conn.schema)
	return err
}

// treeSize is the number of leaves: one more than the highest index.
func treeSize(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(log_index) + 1, 0) FROM audit_events`).Scan(&n)
	return n, err
}

// addLeaf stores the tree hashes that e, as leaf e.Index, adds. The caller stores e itself in
// the same transaction.
func addLeaf(ctx context.Context, tx pgx.Tx, e *launchpad.AuditEvent) error {
	r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return readHashes(ctx, tx, indexes) })
	first, hashes, err := launchpad.AuditTreeHashes(e.Index, e, r)
	if err != nil {
		return err
	}
	for i, h := range hashes {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_tree (idx, hash) VALUES ($1, $2)`, first+int64(i), h[:]); err != nil {
			return err
		}
	}
	return nil
}

func readHashes(ctx context.Context, q querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT idx, hash FROM audit_tree WHERE idx = ANY($1)`, indexes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return contract.ScanAuditHashes(rows, indexes)
}

// GetAudit returns the event with this id.
func (db *DB) GetAudit(ctx context.Context, id string) (*launchpad.AuditEvent, error) {
	out := &launchpad.AuditEvent{}
	err := db.alone(ctx, func(q querier) error {
		err := q.QueryRow(ctx, `SELECT `+auditNames+` FROM audit_events WHERE id = $1`, id).Scan(auditColumns(out).refs()...)
		if isNoRows(err) {
			return notFound("audit event", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAuditLog returns the events from index start on, in index order.
func (db *DB) ListAuditLog(ctx context.Context, start int64, limit int) ([]*launchpad.AuditEvent, error) {
	var out []*launchpad.AuditEvent
	err := db.alone(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+auditNames+` FROM audit_events WHERE log_index >= $1 ORDER BY log_index LIMIT $2`, start, contract.ListLimit(limit))
		if err != nil {
			return err
		}
		out, err = collect(rows, auditColumns)
		return err
	})
	return out, err
}

// AuditTreeSize is the number of events in the tree.
func (db *DB) AuditTreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.alone(ctx, func(q querier) (err error) {
		n, err = treeSize(ctx, q)
		return err
	})
	return n, err
}

// ReadAuditHashes returns the stored hashes at indexes.
func (db *DB) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	var out []tlog.Hash
	err := db.alone(ctx, func(q querier) (err error) {
		out, err = readHashes(ctx, q, indexes)
		return err
	})
	return out, err
}

// IndexAudit places the events without an index, oldest first, indexBatch per transaction,
// each under the log's lock.
func (db *DB) IndexAudit(ctx context.Context) (int64, error) {
	return contract.IndexAuditBatches(indexBatch, func() (size int64, found int, err error) {
		err = db.write(ctx, func(tx pgx.Tx) error {
			if err := db.lockAuditLog(ctx, tx); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT `+auditNames+` FROM audit_events WHERE log_index IS NULL ORDER BY time, stream, seq LIMIT $1`, indexBatch)
			if err != nil {
				return err
			}
			pending, err := collect(rows, auditColumns)
			if err != nil {
				return err
			}
			found = len(pending)
			if size, err = treeSize(ctx, tx); err != nil {
				return err
			}
			size, err = contract.PlaceAudit(size, pending, func(e *launchpad.AuditEvent) error {
				if err := addLeaf(ctx, tx, e); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `UPDATE audit_events SET log_index = $1 WHERE stream = $2 AND seq = $3`, e.Index, e.Stream, e.Seq)
				return err
			})
			return err
		})
		return size, found, err
	})
}
