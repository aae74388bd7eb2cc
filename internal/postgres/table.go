package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// table is what the CRUD of one kind of keyed record needs to know: users, plans, tenants and
// sub-keys share their create, get, update and delete this way, and differ only in this.
type table[T any] struct {
	name string // the SQL table
	what string // the record in messages: "plan"
	// key names the key field in messages ("Name") and returns its value.
	keyField string
	key      func(*T) string
	// cols lists the table's columns with the fields they hold; the first is the key.
	cols func(*T) columns
	// stamp sets the record's CreatedAt (when create is true and it is zero) and UpdatedAt
	// (when create is false, or it is zero).
	stamp func(r *T, now time.Time, create bool)
	// storable returns the copy of a record that is written (nil: a plain copy).
	storable func(*T) (*T, error)
	// conflict names what a unique violation is about (nil: only the key is unique).
	conflict func(err error, r *T) error
}

// copyFor returns the copy of r that is written.
func (t table[T]) copyFor(r *T) (*T, error) {
	if t.storable != nil {
		return t.storable(r)
	}
	c := *r
	return &c, nil
}

// named turns a unique violation into ECONFLICT naming the record.
func (t table[T]) named(err error, r *T) error {
	if t.conflict != nil {
		if err := t.conflict(err, r); err == nil || launchpad.ErrorCode(err) == launchpad.ECONFLICT {
			return err
		}
	}
	if violated(err) == t.name+"_pkey" {
		return launchpad.Errorf(launchpad.ECONFLICT, "%s %q already exists", t.what, launchpad.Clip(t.key(r), 200))
	}
	return err
}

// create stores a copy of r, stamped with now, in one statement: the primary key (and the
// table's unique indexes) refuse a duplicate, also between concurrent callers.
func (t table[T]) create(ctx context.Context, db *DB, r *T) error {
	c, err := t.copyFor(r)
	if err != nil {
		return err
	}
	t.stamp(c, db.clock(), true)
	return db.alone(ctx, func(q querier) error {
		sql, args := t.cols(c).insert(t.name)
		_, err := q.Exec(ctx, sql, args...)
		return t.named(err, c)
	})
}

// find reads the record with key, locked as lock says ("" or "FOR UPDATE", in a transaction);
// ENOTFOUND when there is none.
func (t table[T]) find(ctx context.Context, q querier, key, lock string) (*T, error) {
	r := new(T)
	cs := t.cols(r)
	err := q.QueryRow(ctx, `SELECT `+cs.names()+` FROM `+t.name+` WHERE `+cs[0].name+` = $1 `+lock, key).Scan(cs.refs()...)
	if isNoRows(err) {
		return nil, notFound(t.what, key)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// get reads the record with key (one SELECT).
func (t table[T]) get(ctx context.Context, db *DB, key string) (*T, error) {
	var r *T
	err := db.alone(ctx, func(q querier) (err error) {
		r, err = t.find(ctx, q, key, "")
		return err
	})
	return r, err
}

// list reads the records a query selects (rest: what follows FROM table, with its arguments),
// in one SELECT.
func (t table[T]) list(ctx context.Context, db *DB, rest string, args ...any) ([]*T, error) {
	var out []*T
	err := db.alone(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+t.cols(new(T)).names()+` FROM `+t.name+` `+rest, args...)
		if err != nil {
			return err
		}
		out, err = collect(rows, t.cols)
		return err
	})
	return out, err
}

// update is every Update* method's transaction: READ COMMITTED with the row locked FOR
// UPDATE before it is read, so concurrent updates of one record queue on the lock and each
// reads what the one before it committed; none is lost. fn may not change the key; the record
// written is read back.
func (t table[T]) update(ctx context.Context, db *DB, key string, fn func(*T) error) (*T, error) {
	var out *T
	err := db.write(ctx, func(tx pgx.Tx) error {
		r, err := t.find(ctx, tx, key, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		if got := t.key(r); got != key {
			return keyChanged(t.what, t.keyField, key, got)
		}
		t.stamp(r, db.clock(), false)
		c, err := t.copyFor(r)
		if err != nil {
			return err
		}
		out = new(T)
		q, args := t.cols(c).update(t.name)
		return t.named(tx.QueryRow(ctx, q, args...).Scan(t.cols(out).refs()...), c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// remove deletes the record with key; ENOTFOUND when there is none.
func (t table[T]) remove(ctx context.Context, db *DB, key string) error {
	return db.alone(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM `+t.name+` WHERE `+t.cols(new(T))[0].name+` = $1`, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound(t.what, key)
		}
		return nil
	})
}

// stampTimes is the stamp of records with CreatedAt and UpdatedAt.
func stampTimes(created, updated *time.Time, now time.Time, create bool) {
	if create && created.IsZero() {
		*created = now
	}
	if !create || updated.IsZero() {
		*updated = now
	}
}

// collect reads every row into a record whose columns cols lists.
func collect[T any](rows pgx.Rows, cols func(*T) columns) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		r := new(T)
		if err := rows.Scan(cols(r).refs()...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
