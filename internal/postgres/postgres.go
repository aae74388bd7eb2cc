// Package postgres is the launchpad.Store on PostgreSQL (14 or newer), through
// github.com/jackc/pgx/v5: the store for self-hosters who run several control-plane replicas
// on the database they already operate.
//
// Every public method is one transaction — BEGIN … COMMIT when its work takes several
// statements, and otherwise the transaction PostgreSQL gives a statement of its own, which is
// as atomic and spares two round trips — and hands its statements to lowercase helpers. The
// methods that coordinate replicas say in their comments how, and at which isolation level
// (READ COMMITTED throughout, with explicit row locks where a method reads what it writes):
//
//   - Read-modify-write of one record (the Update* methods, VerifySignInCode, RotateSession):
//     a transaction with the record locked by SELECT … FOR UPDATE first, so concurrent writers
//     queue on the row and each reads what the previous one committed.
//   - Claiming a job: one UPDATE of the oldest due job, picked FOR UPDATE SKIP LOCKED, so
//     claimers never wait for each other's candidates; a partial unique index (one running job
//     per key) makes the exclusion of a key hold even between claimers that read the same
//     snapshot. Heartbeats and finishes are one UPDATE each that checks the lease's holder.
//   - De-duplicated and conditional writes (RecordStripeEvent, TouchDevice, PutState,
//     AppendJobLog): one INSERT … ON CONFLICT or UPDATE … WHERE statement.
//   - Appending to a hash chain (AppendAudit): a transaction under a transaction-scoped
//     advisory lock on the stream, taken before the previous event is read.
//   - Reads: one SELECT each, so one snapshot (ReadJobLog joins the job with its log).
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
)

// maxTxAttempts bounds how often a transaction aborted by a deadlock or serialization failure
// is run again.
const maxTxAttempts = 5

// querier runs statements: a transaction, or the pool for a statement of its own.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in one transaction with opts and commits it if fn returns nil. An error from fn
// is returned as it is (after rollback); driver errors become coded errors. A deadlock or
// serialization failure runs fn again in a new transaction, after a short random pause.
func (db *DB) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return db.retry(ctx, func() error { return db.once(ctx, opts, fn) })
}

// alone runs fn's statements on the pool, each in the transaction PostgreSQL gives every
// statement of its own (READ COMMITTED: one snapshot per statement). A method whose work is one
// statement — an INSERT … ON CONFLICT, an UPDATE … WHERE … RETURNING, a SELECT — is as atomic
// that way as between BEGIN and COMMIT, without their two round trips; fn may add a second
// statement only to explain an outcome (why an UPDATE matched nothing). Retried like inTx.
func (db *DB) alone(ctx context.Context, fn func(q querier) error) error {
	return db.retry(ctx, func() error { return fn(db.pool) })
}

// retry runs attempt until it succeeds, fails for good, or has failed maxTxAttempts times with
// a deadlock or serialization failure.
func (db *DB) retry(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if !retryable(err) || n == maxTxAttempts || ctx.Err() != nil {
			return db.formatError(ctx, err)
		}
		pause := time.Duration(n) * time.Duration(1+rand.Int64N(int64(5*time.Millisecond)))
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

// write runs fn in a transaction at READ COMMITTED.
func (db *DB) write(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.inTx(ctx, readCommitted, fn)
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
