package httpjson

import (
	"testing"
	"time"
)

func TestTimeIsUTCAndTheZeroTimeIsAbsent(t *testing.T) {
	if got := Time(time.Time{}); got != nil {
		t.Errorf("Time(zero) = %v, want nil", got)
	}
	paris := time.FixedZone("Paris", 3600)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, paris)
	got := Time(at)
	if got == nil || got.Location() != time.UTC || !got.Equal(at) {
		t.Errorf("Time(%v) = %v, want the same moment in UTC", at, got)
	}
}
