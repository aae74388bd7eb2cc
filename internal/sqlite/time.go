package sqlite

import (
	"fmt"
	"time"
)

// Times are stored as INTEGER Unix microseconds in UTC. The zero time is NULL (and nil in JSON
// documents), so that it stays distinct from the Unix epoch.

// timeArg returns t as a query argument.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a time column into *p.
type timeCol struct{ p *time.Time }

func scanTime(p *time.Time) timeCol { return timeCol{p} }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want INTEGER microseconds", v)
	}
	return nil
}

// jsonTime is a time inside a JSON document: Unix microseconds, omitted when zero.
type jsonTime = *int64

func toJSONTime(t time.Time) jsonTime {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

func fromJSONTime(v jsonTime) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMicro(*v).UTC()
}
