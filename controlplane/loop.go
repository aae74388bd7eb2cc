package controlplane

import (
	"context"
	"log/slog"
)

// loop is one of the background loops (metering, purge): run until cancelled. Its passes are
// idempotent, so a pass cancelled half-way loses nothing: the next one, here or in another
// replica, finishes it.
type loop struct {
	name string // "the metering loop"
	run  func(ctx context.Context) error
	stop context.CancelFunc // nil until started
	done chan struct{}
}

// start runs the loop until cancel.
func (l *loop) start(log *slog.Logger) {
	if l == nil || l.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	l.stop, l.done = stop, make(chan struct{})
	go func() {
		defer close(l.done)
		if err := l.run(ctx); err != nil {
			log.Error(l.name+" stopped with an error", "error", err.Error())
		}
	}()
}

// cancel stops the loop; a pass in flight is cancelled.
func (l *loop) cancel() {
	if l != nil && l.stop != nil {
		l.stop()
	}
}

// wait blocks until the loop has stopped; at once when it never started.
func (l *loop) wait() {
	if l != nil && l.done != nil {
		<-l.done
	}
}
