package simtest

import (
	"context"
	"sync"
	"time"
)

// RecordSleeps returns a sleep function that records each wait instead of sleeping, and
// the waits recorded so far: a client under scripted 429s and 5xx then runs at full speed
// while the test still checks every backoff and Retry-After it honoured. Like a real sleep
// it returns ctx's error once ctx has ended.
func RecordSleeps() (sleep func(ctx context.Context, d time.Duration) error, waits *[]time.Duration) {
	var mu sync.Mutex
	waits = &[]time.Duration{}
	sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return sleep, waits
}
