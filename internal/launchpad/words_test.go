package launchpad

import (
	"testing"
	"time"
)

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5 minutes", time.Minute: "1 minute", time.Hour: "1 hour", 90 * time.Second: "90 seconds"} {
		if got := DurationWords(d); got != want {
			t.Errorf("DurationWords(%s) = %q, want %q", d, got, want)
		}
	}
}
