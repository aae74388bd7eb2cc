package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// table is what the CRUD of one kind of keyed record needs to know: users, plans, tenants and
// sub-keys share their create, get, update and delete this way, and differ only in this.
type table[T any] struct {
	name      string // the SQL table
	what      string // the record in messages: "plan"
	keyColumn string // the primary key's column: "name"
	keyField  string // the key's field in messages: "Name"
	key       func(*T) string
	// written lists the columns written for r; it fails when r cannot be stored as it is (a
	// nested document that does not encode).
	written func(r *T) (columns, error)
	// read reads one row of selects into a new record.
	read    func(scanner) (*T, error)
	selects string // SELECT of the columns read returns, FROM the table
	// times returns the record's CreatedAt and UpdatedAt, which the store stamps.
	times func(*T) (created, updated *time.Time)
	// conflict names what a UNIQUE violation other than of the key is about (nil: the key is
	// the table's only unique value).
	conflict func(err error, r *T) error
}

// plain is table.written of a record whose columns are plain values, which always encode.
func plain[T any](cols func(*T) columns) func(*T) (columns, error) {
	return func(r *T) (columns, error) { return cols(r), nil }
}

// scanWith returns the scan of a row whose columns cols lists into a new record.
func scanWith[T any](cols func(*T) columns) func(scanner) (*T, error) {
	return func(row scanner) (*T, error) {
		r := new(T)
		if err := row.Scan(cols(r).dests()...); err != nil {
			return nil, err
		}
		return r, nil
	}
}

// named turns a UNIQUE violation into ECONFLICT naming what is taken.
func (t table[T]) named(err error, r *T) error {
	if uniqueViolation(err) == t.name+"."+t.keyColumn {
		return launchpad.Errorf(launchpad.ECONFLICT, "%s %q already exists", t.what, t.key(r))
	}
	if t.conflict != nil {
		return t.conflict(err, r)
	}
	return err
}

// put writes r as a new row (insert) or over the row with its key.
func (t table[T]) put(ctx context.Context, tx *sql.Tx, r *T, insert bool) error {
	cs, err := t.written(r)
	if err != nil {
		return err
	}
	query, args := cs.update(t.name, t.keyColumn)
	if insert {
		query, args = cs.insert(t.name)
	}
	_, err = tx.ExecContext(ctx, query, args...)
	return t.named(err, r)
}

// create stores a copy of r whose zero CreatedAt and UpdatedAt become the store's clock.
func (t table[T]) create(ctx context.Context, db *DB, r *T) error {
	now := db.clock()
	c := *r
	created, updated := t.times(&c)
	if created.IsZero() {
		*created = now
	}
	if updated.IsZero() {
		*updated = now
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		return t.put(ctx, tx, &c, true)
	})
}

// find returns the first record matching where (a constant condition with one parameter);
// sql.ErrNoRows when there is none.
func (t table[T]) find(ctx context.Context, tx *sql.Tx, where string, arg any) (*T, error) {
	return t.read(tx.QueryRowContext(ctx, t.selects+` WHERE `+where, arg))
}

// findKey returns the record with key, or ENOTFOUND.
func (t table[T]) findKey(ctx context.Context, tx *sql.Tx, key string) (*T, error) {
	r, err := t.find(ctx, tx, t.keyColumn+` = ?`, key)
	if isNoRows(err) {
		return nil, notFound(t.what, key)
	}
	return r, err
}

// get returns the record with key (one read transaction), or ENOTFOUND.
func (t table[T]) get(ctx context.Context, db *DB, key string) (*T, error) {
	return get(ctx, db, func(tx *sql.Tx) (*T, error) {
		return t.findKey(ctx, tx, key)
	})
}

// first returns the first record matching where (as find), or missing when there is none.
func (t table[T]) first(ctx context.Context, db *DB, where string, arg any, missing error) (*T, error) {
	r, err := get(ctx, db, func(tx *sql.Tx) (*T, error) {
		return t.find(ctx, tx, where, arg)
	})
	if isNoRows(err) {
		return nil, missing
	}
	return r, err
}

// list returns the records a query selects (rest: what follows FROM table, with its
// arguments).
func (t table[T]) list(ctx context.Context, db *DB, rest string, args ...any) ([]*T, error) {
	return list(ctx, db, t.read, t.selects+` `+rest, args...)
}

// update is every Update* method's write transaction: it reads the record, applies fn, which
// may not change the key, stamps UpdatedAt, writes it and returns it as it is read back.
func (t table[T]) update(ctx context.Context, db *DB, key string, fn func(*T) error) (*T, error) {
	var out *T
	err := db.write(ctx, func(tx *sql.Tx) error {
		r, err := t.findKey(ctx, tx, key)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if got := t.key(r); got != key {
			return keyChanged(t.what, t.keyField, key, got)
		}
		_, updated := t.times(r)
		*updated = db.clock()
		if err := t.put(ctx, tx, r, false); err != nil {
			return err
		}
		out, err = t.findKey(ctx, tx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// remove deletes the record with key, or returns ENOTFOUND.
func (t table[T]) remove(ctx context.Context, db *DB, key string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM `+t.name+` WHERE `+t.keyColumn+` = ?`, key, t.what)
	})
}

// deleteOne runs a DELETE of one record by key and returns ENOTFOUND if there was none.
func deleteOne(ctx context.Context, tx *sql.Tx, query, key, what string) error {
	res, err := tx.ExecContext(ctx, query, key)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what, key)
	}
	return nil
}
