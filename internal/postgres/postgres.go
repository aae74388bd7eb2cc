// Package postgres is the launchpad.Store on PostgreSQL (14 or newer), through
// github.com/jackc/pgx/v5: the store for self-hosters who run several control-plane replicas
// on the database they already operate.
//
// Every public method is one transaction, and hands the transaction to lowercase helpers. The
// methods that coordinate replicas say in their comments which isolation level they run at and
// why it suffices; in short:
//
//   - Read-modify-write of one record (the Update* methods, FinishJob, VerifySignInCode,
//     RotateSession): READ COMMITTED, with the record locked by SELECT … FOR UPDATE first, so
//     concurrent writers queue on the row and each reads what the previous one committed.
//   - Claiming a job: READ COMMITTED with FOR UPDATE SKIP LOCKED, so claimers never wait for
//     each other's candidates; a partial unique index (one running job per key) makes the
//     exclusion of a key hold even between claimers that read the same snapshot.
//   - De-duplicated and conditional inserts (RecordStripeEvent, TouchDevice, PutState):
//     one INSERT … ON CONFLICT or UPDATE … WHERE statement, atomic at READ COMMITTED.
//   - Appending to a hash chain (AppendAudit): READ COMMITTED under a transaction-scoped
//     advisory lock on the stream, taken before the previous event is read.
//   - Reads: REPEATABLE READ, READ ONLY, so the queries of one read see one snapshot.
//
// A transaction that PostgreSQL aborts as a deadlock or a serialization failure is run again,
// a few times, before the error (EUNAVAILABLE) is returned; the functions the Update* methods
// take may therefore be called more than once, as the Store interface allows.
//
// The tables live in one schema, "launchpad" unless the connection string's search_path (or
// libpq's options=-csearch_path=…) names another, created on first use. Times are timestamptz (microseconds, returned in UTC; NULL for
// the zero time). Keys and ordered text columns use the "C" collation, so lists come back in
// byte order whatever the database's locale, as the other stores return them.
//
// The job queue wakes idle workers with LISTEN/NOTIFY (see NotifyJobs); polling remains the
// fallback for jobs that become runnable with time (RunAfter, an expired lease).
package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

var _ launchpad.Store = (*DB)(nil)

// Options tune Open; the zero value is right for production.
type Options struct {
	// Now is the store's clock, for the times it sets itself (CreatedAt, UpdatedAt, …).
	// nil means time.Now.
	Now func() time.Time
	// Logger receives what the store does on its own: migrations, the LISTEN connection
	// lost and regained. nil discards it. Nothing logged holds the password.
	Logger *slog.Logger
}

// DB is a launchpad.Store on one PostgreSQL database.
type DB struct {
	pool   *pgxpool.Pool
	conn   *connConfig
	now    func() time.Time
	log    *slog.Logger
	closed chan struct{}
}

// Open connects to the database that dsn names (a postgres:// or postgresql:// URL, or a
// libpq keyword/value string; the PG* environment variables, the password file and the
// service file fill in what it leaves out, as in libpq) and brings the schema up to date under
// an advisory lock, so replicas that start together migrate once. A dsn that cannot be parsed,
// or names a schema newer than this binary can use, is EINVALID; a server that cannot be
// reached is EUNAVAILABLE. No error and no log line holds the password.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cc, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cc.pool)
	if err != nil {
		return nil, cc.connectError(err)
	}
	db := &DB{pool: pool, conn: cc, now: opts.Now, log: opts.Logger.With("store", cc.redacted), closed: make(chan struct{})}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection; a NotifyJobs in progress returns.
func (db *DB) Close() error {
	select {
	case <-db.closed:
	default:
		close(db.closed)
	}
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return db.conn.connectError(err)
	}
	return nil
}

// Transaction modes. Each public method names the one it runs in.
var (
	// readCommitted: every statement sees what was committed before it began; rows are
	// locked explicitly (FOR UPDATE) where a method reads what it is about to write.
	readCommitted = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	// snapshotRead: one snapshot for every query of a read; a read-only REPEATABLE READ
	// transaction never fails to serialize.
	snapshotRead = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// maxTxAttempts bounds how often a transaction aborted by a deadlock or serialization failure
// is run again.
const maxTxAttempts = 5

// inTx runs fn in one transaction with opts and commits it if fn returns nil. An error from fn
// is returned as it is (after rollback); driver errors become coded errors. A deadlock or
// serialization failure runs fn again in a new transaction, after a short random pause.
func (db *DB) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.once(ctx, opts, fn)
		if !retryable(err) || attempt == maxTxAttempts || ctx.Err() != nil {
			return db.formatError(ctx, err)
		}
		pause := time.Duration(attempt) * time.Duration(1+rand.Int64N(int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return db.formatError(ctx, ctx.Err())
		case <-time.After(pause):
		}
	}
}

func (db *DB) once(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op; before, the error that ended the transaction is returned
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// write runs fn at READ COMMITTED; read runs it in a read-only snapshot.
func (db *DB) write(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.inTx(ctx, readCommitted, fn)
}

func (db *DB) read(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.inTx(ctx, snapshotRead, fn)
}

// retryable reports whether PostgreSQL aborted the transaction so that running it again may
// succeed: a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected)
}

// orNow returns t as the store keeps it — UTC, whole microseconds — and the store's clock
// for a zero t (a caller that passes no time means "now").
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		t = db.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// clock is the store's current time as it is stored.
func (db *DB) clock() time.Time { return db.orNow(time.Time{}) }

// listLimit applies the default (100) and the cap (1000) every List method uses.
func listLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}
