package httpjson

import "time"

// Time is how an answer carries a moment: in UTC, and absent (nil, left out by omitempty)
// when it is the zero time, which the store uses for "not set".
func Time(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
