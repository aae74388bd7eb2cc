package queue

import (
	"errors"
	"math/rand/v2"
	"time"
)

// DefaultBackoff waits 10s before the first retry and doubles the wait for each further one,
// up to 10 minutes, with ±20% jitter so that jobs failing together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	const base, maxWait = 10 * time.Second, 10 * time.Minute
	d := base
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// Permanent marks err as a failure that retrying cannot fix (bad input, an unknown plan):
// the job fails at once and stays failed until it is enqueued again.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
