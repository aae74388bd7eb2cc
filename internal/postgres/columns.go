package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/tables"
)

// A record's columns are listed once, each next to the field it holds, and that one list
// serves both ways: its refs are the query arguments when a record is written and the scan
// destinations when one is read. A column added to a table is added in one place, and a column
// can never be written from one field and read into another. The tables SQLite keeps alike
// take their list from internal/store/tables (fromTable).

// column is one column of a table and a reference to the field it holds: a pointer to the
// field, or a converter wrapping one (ts).
type column struct {
	name string
	ref  any
}

type columns []column

// names is the column list of a SELECT, INSERT or RETURNING: "a, b, c".
func (cs columns) names() string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// refs are the query arguments, or the scan destinations, in column order.
func (cs columns) refs() []any {
	refs := make([]any, len(cs))
	for i, c := range cs {
		refs[i] = c.ref
	}
	return refs
}

// insert returns an INSERT of every column into table, and its arguments.
func (cs columns) insert(table string) (string, []any) {
	params := make([]string, len(cs))
	for i := range cs {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO " + table + " (" + cs.names() + ") VALUES (" + strings.Join(params, ", ") + ")", cs.refs()
}

// update returns an UPDATE of table that sets every column but the first, the key, on the row
// whose key equals the first column's value, returning every column; and its arguments.
func (cs columns) update(table string) (string, []any) {
	sets := make([]string, 0, len(cs)-1)
	for i, c := range cs[1:] {
		sets = append(sets, c.name+" = $"+strconv.Itoa(i+2))
	}
	return "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + cs[0].name + " = $1 RETURNING " + cs.names(), cs.refs()
}

// ts wraps a time field for a timestamptz column: the zero time is NULL and NULL the zero
// time; times come back in UTC.
func ts(p *time.Time) *timestamp { return &timestamp{p} }

type timestamp struct{ p *time.Time }

// TimestamptzValue is how pgx encodes the field.
func (t *timestamp) TimestamptzValue() (pgtype.Timestamptz, error) {
	if t.p.IsZero() {
		return pgtype.Timestamptz{}, nil
	}
	return pgtype.Timestamptz{Time: *t.p, Valid: true}, nil
}

// ScanTimestamptz is how pgx decodes into the field.
func (t *timestamp) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*t.p = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("a timestamp column holds %s, which no Go time represents", v.InfinityModifier)
	default:
		*t.p = v.Time.UTC()
	}
	return nil
}

// textMap is what a string map is stored as (a jsonb object): never nil, and refused when a
// key or value is not UTF-8, which JSON would silently replace. label names the field in the
// error.
func textMap(label string, m map[string]string) (map[string]string, error) {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, launchpad.Errorf(launchpad.EINVALID, "%s key %q holds bytes that are not UTF-8 text", label, launchpad.Clip(k, 40))
		}
	}
	if m == nil {
		return map[string]string{}, nil
	}
	return m, nil
}

// fromTable turns a table's shared column list into this store's: a time goes through ts
// (timestamptz, zero as NULL), every other field as itself.
func fromTable[T any](list func(*T) []tables.Column) func(*T) columns {
	return func(r *T) columns {
		cs := list(r)
		out := make(columns, len(cs))
		for i, c := range cs {
			out[i] = column{c.Name, c.Field}
			if t, ok := c.Field.(*time.Time); ok {
				out[i].ref = ts(t)
			}
		}
		return out
	}
}
