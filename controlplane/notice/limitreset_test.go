package notice_test

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
)

func TestNextLimitReset(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		reset, now, want string
	}{
		// Monthly: the 1st of the next calendar month, whatever the day of the billing cycle.
		{"monthly", "2030-01-15T12:00:00Z", "2030-02-01T00:00:00Z"},
		{"monthly", "2030-01-31T23:59:59Z", "2030-02-01T00:00:00Z"},
		{"monthly", "2030-02-01T00:00:00Z", "2030-03-01T00:00:00Z"},
		{"monthly", "2030-12-10T08:00:00Z", "2031-01-01T00:00:00Z"},
		// The time zone of now does not move the UTC midnight.
		{"monthly", "2030-01-31T20:00:00-05:00", "2030-03-01T00:00:00Z"},
		{"daily", "2030-01-15T12:00:00Z", "2030-01-16T00:00:00Z"},
		// Weekly: the next Monday (2030-01-14 is one).
		{"weekly", "2030-01-15T12:00:00Z", "2030-01-21T00:00:00Z"},
		{"weekly", "2030-01-13T23:00:00Z", "2030-01-14T00:00:00Z"},
		{"weekly", "2030-01-14T00:00:00Z", "2030-01-21T00:00:00Z"},
	} {
		got, ok := notice.NextLimitReset(tc.reset, utc(tc.now))
		if !ok || !got.Equal(utc(tc.want)) || got.Location() != time.UTC {
			t.Errorf("NextLimitReset(%s, %s) = %s, %v; want %s", tc.reset, tc.now, got, ok, tc.want)
		}
	}
	for _, reset := range []string{"", "yearly"} {
		if got, ok := notice.NextLimitReset(reset, time.Now()); ok {
			t.Errorf("NextLimitReset(%q) = %s; want none", reset, got)
		}
	}
}
