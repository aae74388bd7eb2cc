package firestore

import (
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The document types of this package are structs whose fields carry `firestore:"name"` tags:
// the client library encodes them, and the helpers here treat them generically.

// fieldUpdates returns one Update per top-level field of doc (a struct or a pointer to one), so
// that an Update with a precondition replaces every field the store owns.
func fieldUpdates(doc any) []firestore.Update {
	v := reflect.Indirect(reflect.ValueOf(doc))
	t := v.Type()
	updates := make([]firestore.Update, 0, t.NumField())
	for i := range t.NumField() {
		name := fieldName(t.Field(i))
		if name == "" {
			continue
		}
		updates = append(updates, firestore.Update{FieldPath: firestore.FieldPath{name}, Value: v.Field(i).Interface()})
	}
	return updates
}

func fieldName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("firestore"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// checkUTF8 returns EINVALID, naming the field, if a string anywhere in doc (map keys
// included) is not UTF-8: Firestore strings are UTF-8, and the client library would fail with
// an opaque encoding error.
func checkUTF8(doc any) error {
	return walkStrings(reflect.ValueOf(doc), "")
}

var timeType = reflect.TypeFor[time.Time]()

func walkStrings(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkStrings(v.Elem(), path)
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return launchpad.Errorf(launchpad.EINVALID, "the record cannot be stored: %s holds bytes that are not UTF-8 text", strings.TrimPrefix(path, "."))
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return nil
		}
		for i := range v.NumField() {
			name := fieldName(v.Type().Field(i))
			if name == "" {
				continue
			}
			if err := walkStrings(v.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if k := iter.Key(); k.Kind() == reflect.String && !utf8.ValidString(k.String()) {
				return launchpad.Errorf(launchpad.EINVALID, "the record cannot be stored: a key of %s is not UTF-8 text", strings.TrimPrefix(path, "."))
			}
			if err := walkStrings(iter.Value(), path+"[…]"); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes
		}
		for i := range v.Len() {
			if err := walkStrings(v.Index(i), path+"[…]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Times are stored as Firestore timestamps (microsecond precision), in UTC. The zero time is
// stored as null, so that it stays distinct from every real time, the Unix epoch included,
// and range queries on a time field skip records where it is unset.

// ts returns t as a document field.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// fromTS returns the time of a document field.
func fromTS(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

// micro returns t as the store keeps it.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
