package stacktest

import (
	"bytes"
	"context"
	"strings"
	"sync"
)

// Output collects what a logger or a child process writes, from any number of goroutines, for
// a test to read while it is being written or afterwards. The zero value is ready to use.
type Output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed, and forgotten, by the next Write; made by a waiter
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.written != nil {
		close(o.written)
		o.written = nil
	}
	return o.buf.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// WaitFor waits until what was written contains s, looking again after each write, and
// reports whether it does; it gives up, reporting false, when ctx ends.
func (o *Output) WaitFor(ctx context.Context, s string) bool {
	for {
		o.mu.Lock()
		if strings.Contains(o.buf.String(), s) {
			o.mu.Unlock()
			return true
		}
		if o.written == nil {
			o.written = make(chan struct{})
		}
		written := o.written
		o.mu.Unlock()
		select {
		case <-written:
		case <-ctx.Done():
			return false
		}
	}
}
