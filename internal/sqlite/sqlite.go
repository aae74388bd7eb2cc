// Package sqlite is the embedded launchpad.Store: one SQLite file, opened through the pure-Go
// driver modernc.org/sqlite (no cgo), shared safely by the provider and the control plane even
// when they run as separate processes.
//
// Every public method is one transaction. Writes are BEGIN IMMEDIATE, so a read-modify-write
// (UpdateUser, ClaimJob, RecordStripeEvent, …) holds SQLite's write lock from its first read
// and can neither deadlock nor lose an update, across goroutines or across processes. Within a
// process all writes share one connection (database/sql queues them); between processes the
// busy timeout makes a writer wait for the lock, and a wait longer than that is EUNAVAILABLE.
// Reads run on a separate pool of read-only connections and, in WAL mode, never block writes.
//
// Times are stored as INTEGER Unix microseconds in UTC (NULL for the zero time), so they come
// back at microsecond precision and in UTC. Nested records (Subscription, Usage, MFA, audit
// Details) are JSON documents in their own columns.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

var _ launchpad.Store = (*DB)(nil)

// DefaultBusyTimeout is how long a write waits for another process's write lock before it
// fails with EUNAVAILABLE.
const DefaultBusyTimeout = 10 * time.Second

// Options tune Open; the zero value is right for production.
type Options struct {
	// Now is the store's clock, for the times it sets itself (CreatedAt, UpdatedAt, …).
	// nil means time.Now.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's write lock; 0 means
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// DB is a launchpad.Store on one SQLite file.
type DB struct {
	path   string
	writer *sql.DB // one connection: every write transaction, in order
	reader *sql.DB // read-only connections for read transactions
	now    func() time.Time
}

// Open opens (creating if needed) the SQLite database at path and brings its schema up to
// date. The path must name a file: ":memory:" and "" are refused with EINVALID, because an
// in-memory database is private to one connection and the store is shared by processes. A
// file that belongs to another program, or whose schema is newer than this binary, is refused
// with EINVALID and left untouched. A new file is created readable by its owner only, since it
// holds sealed credentials.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the SQLite store needs a file path such as ./launchpad.db, not %q: an in-memory database is not shared between connections or processes", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "SQLite path %q cannot be made absolute: %v", path, err)
	}
	if err := createOwnerOnly(abs); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}

	db := &DB{path: abs, now: opts.Now}
	if db.writer, err = sql.Open("sqlite", dsn(abs, opts.BusyTimeout, false)); err != nil {
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)
	if err := migrate(ctx, db.writer, abs); err != nil {
		db.writer.Close()
		return nil, err
	}
	if db.reader, err = sql.Open("sqlite", dsn(abs, opts.BusyTimeout, true)); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	db.reader.SetMaxOpenConns(readers)
	db.reader.SetMaxIdleConns(readers)
	return db, nil
}

// createOwnerOnly creates the database file with mode 0600 (and its directory with 0700) if it
// does not exist, before SQLite opens it: SQLite gives the -wal and -shm files the mode of the
// database file.
func createOwnerOnly(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "cannot create the directory of the SQLite store %s: %v", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "cannot open the SQLite store %s: %v", path, err)
	}
	return f.Close()
}

// dsn returns the driver's data source name for path: a file: URI (so that any character of
// the path is escaped) with the connection settings every connection needs.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Deleted and overwritten content is zeroed in the file, not left in free pages: a
	// purge or an erasure must leave the bytes unreadable, not only unlisted.
	q.Add("_pragma", "secure_delete(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// Deleted records are overwritten, not only unlinked: an erased user's data must
		// not stay readable in the file's free pages.
		q.Add("_pragma", "secure_delete(1)")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Close closes both connection pools.
func (db *DB) Close() error {
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Ping reports whether the database file can be read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.reader.QueryRowContext(ctx, `SELECT 1 FROM pragma_user_version`).Scan(&one); err != nil {
		return formatError(ctx, err)
	}
	return nil
}

// write runs fn in one BEGIN IMMEDIATE transaction and commits it if fn returns nil. An error
// from fn is returned as it is (after rollback); driver errors become coded errors.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return formatError(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error that ended the transaction is returned
	if err := fn(tx); err != nil {
		return formatError(ctx, err)
	}
	return formatError(ctx, tx.Commit())
}

// read runs fn in one read-only transaction, so that its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return formatError(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error that ended the transaction is returned
	return formatError(ctx, fn(tx))
}

// get runs find in one read transaction and returns the record it found.
func get[T any](ctx context.Context, db *DB, find func(tx *sql.Tx) (*T, error)) (*T, error) {
	var out *T
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		out, err = find(tx)
		return err
	})
	return out, err
}

// list runs a query in one read transaction and returns its rows, each read by scan.
func list[T any](ctx context.Context, db *DB, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	var out []*T
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		out, err = listTx(ctx, tx, scan, query, args...)
		return err
	})
	return out, err
}

// listTx runs a query in tx and returns its rows, each read by scan.
func listTx[T any](ctx context.Context, tx *sql.Tx, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// clock returns the store's current time as it is stored: UTC, whole microseconds.
func (db *DB) clock() time.Time {
	return db.now().UTC().Truncate(time.Microsecond)
}

// orNow returns t as it is stored, or the store's clock for a zero t (a caller that passes no
// time means "now").
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return db.clock()
	}
	return t.UTC().Truncate(time.Microsecond)
}
