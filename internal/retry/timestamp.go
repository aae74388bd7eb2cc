package retry

import "time"

// ParseTime reads a timestamp of an API's answer (RFC 3339, as Fly and OpenRouter write
// them) in UTC; an empty or unreadable one is the zero time.
func ParseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
