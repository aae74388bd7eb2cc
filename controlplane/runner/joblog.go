package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// jobLogAppender is the part of the store a job log is written to.
type jobLogAppender interface {
	AppendJobLog(ctx context.Context, id string, p []byte) error
}

// Flushing: often enough that a follower (the SSE endpoint) sees tofu's progress as it
// happens, rarely enough that a chatty run is not one store transaction per line.
const (
	logFlushEvery = 250 * time.Millisecond
	logFlushBytes = 32 << 10
)

// jobLog streams a job's output into the store. Writes are redacted (see redactor), buffered
// and appended every logFlushEvery or logFlushBytes; Close appends the rest. It is safe for
// concurrent use (tofu's stdout and stderr are copied by two goroutines).
type jobLog struct {
	store  jobLogAppender
	jobID  string
	redact *redactor
	log    *slog.Logger

	mu     sync.Mutex
	buf    bytes.Buffer
	failed bool // an append failed: logged once, output dropped from then on

	stop chan struct{}
	done chan struct{}
}

func newJobLog(store jobLogAppender, jobID string, redact *redactor, log *slog.Logger) *jobLog {
	l := &jobLog{store: store, jobID: jobID, redact: redact, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushLoop()
	return l
}

// Write buffers p. tofu's output reaches it a line at a time, so a secret is never split
// between two writes and redaction sees it whole.
func (l *jobLog) Write(p []byte) (int, error) {
	red := l.redact.bytes(p)
	l.mu.Lock()
	l.buf.Write(red)
	full := l.buf.Len() >= logFlushBytes
	l.mu.Unlock()
	if full {
		l.flush()
	}
	return len(p), nil
}

// Printf writes one line of the runner's own (never secret) narration.
func (l *jobLog) Printf(format string, args ...any) {
	line := time.Now().UTC().Format("15:04:05") + " launchpad: " + fmt.Sprintf(format, args...) + "\n"
	_, _ = l.Write([]byte(line)) // never fails: it buffers
}

func (l *jobLog) flushLoop() {
	defer close(l.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.flush()
		}
	}
}

func (l *jobLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() == 0 || l.failed {
		l.buf.Reset()
		return
	}
	// A fresh context: the log of a cancelled run is what explains it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.store.AppendJobLog(ctx, l.jobID, l.buf.Bytes()); err != nil {
		l.failed = true
		l.log.Error("appending to the job log failed; the rest of this run's output is dropped", "job", l.jobID, "error", err)
	}
	l.buf.Reset()
}

// Close flushes what is left and stops the flusher.
func (l *jobLog) Close() error {
	close(l.stop)
	<-l.done
	l.flush()
	return nil
}

// redactor replaces every occurrence of the provider's secrets in output bound for the job log,
// the audit log or an error message. Values shorter than minSecretLen are not treated as
// secrets (they would redact ordinary words).
type redactor struct {
	r *strings.Replacer
}

const minSecretLen = 8

func newRedactor(secrets []string) *redactor {
	var olds []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) >= minSecretLen && !seen[s] {
			seen[s] = true
			olds = append(olds, s)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	if len(olds) == 0 {
		return &redactor{}
	}
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, "[redacted]")
	}
	return &redactor{r: strings.NewReplacer(pairs...)}
}

func (r *redactor) bytes(p []byte) []byte {
	if r == nil || r.r == nil {
		return p
	}
	return []byte(r.r.Replace(string(p)))
}

func (r *redactor) string(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}
