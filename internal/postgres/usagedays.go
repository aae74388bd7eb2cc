package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// usageDays wraps Usage.Days for its jsonb column: an array of documents with their own
// field names (so renaming a Go field cannot silently drop stored data), never null.
type usageDays struct{ p *[]launchpad.UsageDay }

type usageDayDoc struct {
	Day            time.Time `json:"day"`
	MachineSeconds float64   `json:"machine_seconds"`
	SpendUSD       float64   `json:"spend_usd"`
}

// MarshalJSON is how pgx encodes the field (a json.Marshaler goes to a jsonb column as is).
func (d *usageDays) MarshalJSON() ([]byte, error) {
	docs := make([]usageDayDoc, 0, len(*d.p))
	for _, day := range *d.p {
		docs = append(docs, usageDayDoc{Day: day.Day.UTC(), MachineSeconds: day.MachineSeconds, SpendUSD: day.SpendUSD})
	}
	return json.Marshal(docs)
}

// Scan is how pgx decodes into the field: as an sql.Scanner, because pgx zeroes a plain
// json.Unmarshaler destination (and so this wrapper's pointer) before decoding.
func (d *usageDays) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*d.p = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("usage_days holds a %T, not JSON", src)
	}
	var docs []usageDayDoc
	if err := json.Unmarshal(b, &docs); err != nil {
		return fmt.Errorf("decoding usage_days: %w", err)
	}
	days := make([]launchpad.UsageDay, 0, len(docs))
	for _, doc := range docs {
		days = append(days, launchpad.UsageDay{Day: doc.Day.UTC(), MachineSeconds: doc.MachineSeconds, SpendUSD: doc.SpendUSD})
	}
	if len(days) == 0 {
		days = nil
	}
	*d.p = days
	return nil
}
