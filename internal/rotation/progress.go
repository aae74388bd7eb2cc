package rotation

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// reporter shows a running rotation: a bar on a terminal, plain lines in a log.
type reporter interface {
	update(Result)
	finish(Result)
}

// isTerminal reports whether w is a terminal (a *os.File on a TTY).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barReporter draws a progress bar of users handled out of total (-1 when unknown: a
// spinner with counts).
type barReporter struct {
	bar *progressbar.ProgressBar
}

func newBarReporter(w io.Writer, total int) *barReporter {
	return &barReporter{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("re-sealing"),
		progressbar.OptionSetItsString("users"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)}
}

func (b *barReporter) update(r Result) {
	_ = b.bar.Set(r.UsersScanned)
}

func (b *barReporter) finish(r Result) {
	_ = b.bar.Set(r.UsersScanned)
	if r.Complete {
		_ = b.bar.Finish()
		return
	}
	_ = b.bar.Exit() // leaves the bar where it stopped
}

// lineReporter prints one line of counts at most every interval, for logs and pipes.
type lineReporter struct {
	w        io.Writer
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last time.Time
}

func newLineReporter(w io.Writer, interval time.Duration, now func() time.Time) *lineReporter {
	return &lineReporter{w: w, interval: interval, now: now, last: now()}
}

func (l *lineReporter) update(r Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.now(); now.Sub(l.last) >= l.interval {
		l.last = now
		fmt.Fprintf(l.w, "rotate-secret: %s\n", progressLine(r))
	}
}

// finish prints the last counts, so even a short run shows one line.
func (l *lineReporter) finish(r Result) {
	fmt.Fprintf(l.w, "rotate-secret: %s\n", progressLine(r))
}

// progressLine is the running counts in one line.
func progressLine(r Result) string {
	return fmt.Sprintf("%d users scanned, %d credentials re-sealed, %d already current, %d failed to open",
		r.UsersScanned, r.Resealed, r.AlreadyCurrent, r.Failed)
}

// quietReporter shows nothing.
type quietReporter struct{}

func (quietReporter) update(Result) {}
func (quietReporter) finish(Result) {}
