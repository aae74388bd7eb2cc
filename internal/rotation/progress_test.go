package rotation

import (
	"strings"
	"testing"
	"time"
)

// Plain progress lines come at most once per interval, and once more at the end.
func TestLineReporterThrottles(t *testing.T) {
	var out strings.Builder
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLineReporter(&out, 2*time.Second, func() time.Time { return now })
	for i := 1; i <= 10; i++ {
		now = now.Add(500 * time.Millisecond)
		l.update(Result{UsersScanned: i})
	}
	l.finish(Result{UsersScanned: 10, Resealed: 20})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"rotate-secret: 4 users scanned, 0 credentials re-sealed, 0 already current, 0 failed to open",
		"rotate-secret: 8 users scanned, 0 credentials re-sealed, 0 already current, 0 failed to open",
		"rotate-secret: 10 users scanned, 20 credentials re-sealed, 0 already current, 0 failed to open",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}
}
