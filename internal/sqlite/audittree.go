package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// indexBatch is how many unindexed events one IndexAudit transaction places, so the write
// lock is never held for long while a large old log is indexed.
const indexBatch = 500

// logIndex scans audit_events.log_index: NULL (an event not in the tree yet) is NotIndexed.
type logIndex struct{ p *int64 }

func (l logIndex) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*l.p = launchpad.NotIndexed
	if n.Valid {
		*l.p = n.Int64
	}
	return nil
}

var _ sql.Scanner = logIndex{}

// treeSize is the number of leaves: one more than the highest index (served by
// audit_events_log_index).
func treeSize(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(log_index) + 1, 0) FROM audit_events WHERE log_index IS NOT NULL`).Scan(&n)
	return n, err
}

// addLeaf stores the tree hashes that e, as leaf e.Index, adds. The caller stores e itself in
// the same transaction.
func addLeaf(ctx context.Context, tx *sql.Tx, e *launchpad.AuditEvent) error {
	first, hashes, err := launchpad.AuditTreeHashes(e.Index, e, txHashReader(ctx, tx))
	if err != nil {
		return err
	}
	for i, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_tree (idx, hash) VALUES (?, ?)`, first+int64(i), h[:]); err != nil {
			return err
		}
	}
	return nil
}

// txHashReader reads stored hashes inside tx (so it sees the ones tx has just written).
func txHashReader(ctx context.Context, tx *sql.Tx) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return readHashes(ctx, tx, indexes) })
}

func readHashes(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := make([]any, len(indexes))
	for i, x := range indexes {
		args[i] = x
	}
	rows, err := q.QueryContext(ctx, `SELECT idx, hash FROM audit_tree WHERE idx IN (?`+strings.Repeat(", ?", len(indexes)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return contract.ScanAuditHashes(rows, indexes)
}

// GetAudit returns the event with this id.
func (db *DB) GetAudit(ctx context.Context, id string) (*launchpad.AuditEvent, error) {
	return get(ctx, db, func(tx *sql.Tx) (*launchpad.AuditEvent, error) {
		e, err := scanAudit(tx.QueryRowContext(ctx, selectAudit+` WHERE id = ?`, id))
		if isNoRows(err) {
			return nil, notFound("audit event", launchpad.Clip(id, 200))
		}
		return e, err
	})
}

// ListAuditLog returns the events from index start on, in index order.
func (db *DB) ListAuditLog(ctx context.Context, start int64, limit int) ([]*launchpad.AuditEvent, error) {
	return list(ctx, db, scanAudit, selectAudit+` WHERE log_index >= ? ORDER BY log_index LIMIT ?`, start, contract.ListLimit(limit))
}

// AuditTreeSize is the number of events in the tree.
func (db *DB) AuditTreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		n, err = treeSize(ctx, tx)
		return err
	})
	return n, err
}

// ReadAuditHashes returns the stored hashes at indexes.
func (db *DB) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	var out []tlog.Hash
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		out, err = readHashes(ctx, tx, indexes)
		return err
	})
	return out, err
}

// IndexAudit places the events without an index, oldest first, indexBatch per write
// transaction; the write lock serialises it with AppendAudit and with other processes.
func (db *DB) IndexAudit(ctx context.Context) (int64, error) {
	return contract.IndexAuditBatches(indexBatch, func() (size int64, found int, err error) {
		err = db.write(ctx, func(tx *sql.Tx) error {
			pending, err := listTx(ctx, tx, scanAudit, selectAudit+` WHERE log_index IS NULL ORDER BY time, stream, seq LIMIT ?`, indexBatch)
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
				_, err := tx.ExecContext(ctx, `UPDATE audit_events SET log_index = ? WHERE stream = ? AND seq = ?`, e.Index, e.Stream, e.Seq)
				return err
			})
			return err
		})
		return size, found, err
	})
}
