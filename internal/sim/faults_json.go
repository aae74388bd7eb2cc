package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// faultsWire is Faults on the wire (/_sim/faults, state files): durations as Go duration
// strings ("1s", "250ms") so people can type them.
type faultsWire struct {
	ErrorRate     float64 `json:"error_rate"`
	RateLimitRate float64 `json:"rate_limit_rate"`
	RetryAfter    string  `json:"retry_after,omitempty"`
	Latency       string  `json:"latency,omitempty"`
	DropRate      float64 `json:"drop_rate"`
	Seed          int64   `json:"seed"`
	ErrorStatus   int     `json:"error_status,omitempty"`
}

// MarshalJSON writes durations as strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	w := faultsWire{ErrorRate: f.ErrorRate, RateLimitRate: f.RateLimitRate, DropRate: f.DropRate, Seed: f.Seed, ErrorStatus: f.ErrorStatus}
	if f.RetryAfter != 0 {
		w.RetryAfter = f.RetryAfter.String()
	}
	if f.Latency != 0 {
		w.Latency = f.Latency.String()
	}
	return json.Marshal(w)
}

// decodeStrict decodes data into v and refuses fields v does not have, so a typo in a
// hand-written fault file or script is an error rather than a silently ignored setting.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// UnmarshalJSON reads durations as strings ("1s") and rejects unknown fields, so a typo
// in a hand-written fault file is an error rather than a silently ignored setting.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var w faultsWire
	if err := decodeStrict(data, &w); err != nil {
		return fmt.Errorf("faults: %w (fields: error_rate, rate_limit_rate, retry_after, latency, drop_rate, seed, error_status)", err)
	}
	out := Faults{ErrorRate: w.ErrorRate, RateLimitRate: w.RateLimitRate, DropRate: w.DropRate, Seed: w.Seed, ErrorStatus: w.ErrorStatus}
	var err error
	if out.RetryAfter, err = parseOptionalDuration("retry_after", w.RetryAfter); err != nil {
		return err
	}
	if out.Latency, err = parseOptionalDuration("latency", w.Latency); err != nil {
		return err
	}
	*f = out
	return nil
}

func parseOptionalDuration(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("faults: %s %q is not a duration: write it like \"1s\" or \"250ms\"", field, s)
	}
	return d, nil
}
