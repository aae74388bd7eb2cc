package sqlite

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// Each table has one function that lists its columns for a record (planColumns,
// tenantColumns, …): every column's name beside the value written to it and the place a read
// puts it. INSERT, UPDATE, SELECT and the Scan of a row are all built from that one list, so
// a column and its value sit side by side and cannot be shifted against each other. Queries
// with conditions of their own name their parameters (sql.Named) instead of numbering them.
// The tables PostgreSQL keeps alike take their list from internal/store/tables (fromTable).

// column is one column of a table for a record.
type column struct {
	name string
	arg  any // the value a write stores
	dest any // where Scan puts the value read; nil for a column that is written, never read
}

// columns is a table's column list for one record, in the table's order.
type columns []column

// names returns the names of the columns a read returns (those with a dest), comma-separated.
func (cs columns) names() string {
	var b strings.Builder
	for _, c := range cs {
		if c.dest == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.name)
	}
	return b.String()
}

// dests returns where Scan puts each column names lists, in that order.
func (cs columns) dests() []any {
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		if c.dest != nil {
			out = append(out, c.dest)
		}
	}
	return out
}

// selectFrom returns SELECT of the columns a read returns FROM table (which may carry an
// alias, "jobs AS j").
func (cs columns) selectFrom(table string) string {
	return "SELECT " + cs.names() + " FROM " + table
}

// insert returns INSERT INTO table of every column, and its arguments.
func (cs columns) insert(table string) (string, []any) {
	names := make([]string, len(cs))
	args := make([]any, len(cs))
	for i, c := range cs {
		names[i], args[i] = c.name, c.arg
	}
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.Repeat("?, ", len(cs)-1) + "?)", args
}

// upsert returns insert, or, when a row with the same key columns exists, an update of every
// other column of it to the inserted values.
func (cs columns) upsert(table string, key ...string) (string, []any) {
	query, args := cs.insert(table)
	var set []string
	for _, c := range cs {
		if !slices.Contains(key, c.name) {
			set = append(set, c.name+" = excluded."+c.name)
		}
	}
	return query + " ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(set, ", "), args
}

// update returns UPDATE table of every column but the key columns, WHERE the key columns
// equal their values in the list, and its arguments.
func (cs columns) update(table string, key ...string) (string, []any) {
	var set, where []string
	var args, keyArgs []any
	for _, c := range cs {
		if slices.Contains(key, c.name) {
			where, keyArgs = append(where, c.name+" = ?"), append(keyArgs, c.arg)
			continue
		}
		set, args = append(set, c.name+" = ?"), append(args, c.arg)
	}
	if len(where) != len(key) {
		panic("sqlite: update of " + table + " by " + strings.Join(key, ", ") + ": a key column is not in the list")
	}
	return "UPDATE " + table + " SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(where, " AND "), append(args, keyArgs...)
}

// fromTable turns a table's shared column list into this store's: a time is stored as
// INTEGER microseconds (timeArg, scanTime), every other field as its value. The values written
// are read from the record's fields when its list is built.
func fromTable[T any](list func(*T) []tables.Column) func(*T) columns {
	return func(r *T) columns {
		cs := list(r)
		out := make(columns, len(cs))
		for i, c := range cs {
			if t, ok := c.Field.(*time.Time); ok {
				out[i] = column{c.Name, timeArg(*t), scanTime(t)}
				continue
			}
			out[i] = column{c.Name, reflect.ValueOf(c.Field).Elem().Interface(), c.Field}
		}
		return out
	}
}
